#!/usr/bin/env bash
# The `strata user` and `strata acl` contracts (DESIGN.md): the password from the first line of stdin, never
# stored; --json; clear errors; changes seen by a second command at once. One case per ctest test.
#   usage: security_cli_test.sh PATH_TO_STRATA CASE
set -uo pipefail
strata=$1
case_name=$2
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-security-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
dir=$work/log

die() {
  echo "FAILED ($case_name): $*" >&2
  exit 1
}
expect_eq() { [[ "$2" == "$3" ]] || die "$1: got [$2], expected [$3]"; }
expect_contains() { [[ "$2" == *"$3"* ]] || die "$1: [$2] does not contain [$3]"; }
refused() {
  local what=$1 text=$2
  shift 2
  local out
  out=$("$strata" "$@" < /dev/null 2> "$work/err") && die "$what: accepted"
  expect_eq "$what: stdout" "$out" ""
  expect_contains "$what: stderr" "$(cat "$work/err")" "$text"
}

case "$case_name" in
  users)
    printf 'correct horse\nsecond line\n' | "$strata" user add --dir "$dir" alice || die "add alice failed"
    echo 'builder' | "$strata" user add --dir "$dir" bob --mechanism SCRAM-SHA-512 --iterations 8192 || die "add bob"
    expect_eq "list" "$("$strata" user list --dir "$dir")" \
      $'alice\tSCRAM-SHA-256:4096\tSCRAM-SHA-512:4096\nbob\tSCRAM-SHA-512:8192'
    json=$("$strata" user list --dir "$dir" --json) || die "list --json failed"
    python3 -c 'import json,sys; u=json.loads(sys.argv[1])["users"]; assert [x["name"] for x in u]==["alice","bob"] and u[1]["mechanisms"]==[{"mechanism":"SCRAM-SHA-512","iterations":8192}], u' "$json" \
      || die "list --json: $json"
    ! grep -rqa -e 'correct horse' -e 'second line' -e builder "$dir" || die "a password reached the directory"
    [[ "$(stat -c %a "$dir/strata-users.strata-security")" == 600 ]] || die "the users file is readable by others"
    "$strata" user remove --dir "$dir" alice || die "remove failed"
    expect_eq "list after remove" "$("$strata" user list --dir "$dir")" $'bob\tSCRAM-SHA-512:8192'
    ;;
  user_errors)
    refused "empty password" "password (the first line of stdin) is empty" user add --dir "$dir" alice
    refused "no name" "NAME is required" user add --dir "$dir"
    refused "few iterations" "iterations" user add --dir "$dir" alice --iterations 100
    refused "mechanism" "mechanism" user add --dir "$dir" alice --mechanism SCRAM-SHA-1
    refused "remove unknown" "no user carol" user remove --dir "$dir" carol
    echo pw | "$strata" user add --dir "$dir" alice || die "add failed"
    printf 'garbage' > "$work/garbage"
    cp "$work/garbage" "$dir/strata-users.strata-security"
    refused "corrupt file" "$dir/strata-users.strata-security" user list --dir "$dir"
    ;;
  acls)
    "$strata" acl add --dir "$dir" --principal User:alice --operation Read --topic orders || die "add 1"
    "$strata" acl add --dir "$dir" --principal User:alice --operation Write --topic-prefix orders- || die "add 2"
    "$strata" acl add --dir "$dir" --principal User:* --operation Describe --cluster --deny || die "add 3"
    "$strata" acl add --dir "$dir" --principal User:bob --operation describe_configs --group-prefix app || die "add 4"
    "$strata" acl add --dir "$dir" --principal User:alice --operation Read --topic orders || die "re-add"
    expect_eq "list" "$("$strata" acl list --dir "$dir")" \
"principal=User:alice permission=Allow operation=Read resource=Topic pattern=Literal name=orders host=*
principal=User:alice permission=Allow operation=Write resource=Topic pattern=Prefixed name=orders- host=*
principal=User:* permission=Deny operation=Describe resource=Cluster pattern=Literal name=kafka-cluster host=*
principal=User:bob permission=Allow operation=DescribeConfigs resource=Group pattern=Prefixed name=app host=*"
    expect_eq "list one principal" "$("$strata" acl list --dir "$dir" --principal User:bob | wc -l)" 1
    json=$("$strata" acl list --dir "$dir" --json) || die "list --json failed"
    python3 -c 'import json,sys; a=json.loads(sys.argv[1])["acls"]; assert len(a)==4 and a[1]=={"principal":"User:alice","permission":"Allow","operation":"Write","resource_type":"Topic","pattern_type":"Prefixed","resource_name":"orders-","host":"*"}, a' "$json" \
      || die "list --json: $json"
    "$strata" acl remove --dir "$dir" --principal User:alice --operation Write --topic-prefix orders- || die "remove"
    expect_eq "count after remove" "$("$strata" acl list --dir "$dir" | wc -l)" 3
    ;;
  acl_errors)
    refused "no principal" "--principal User:NAME is required" acl add --dir "$dir" --operation Read --topic t
    refused "bad principal" "expected User:NAME" acl add --dir "$dir" --principal alice --operation Read --topic t
    refused "bad operation" "--operation Fly" acl add --dir "$dir" --principal User:a --operation Fly --topic t
    refused "no resource" "one of --topic" acl add --dir "$dir" --principal User:a --operation Read
    refused "two resources" "give one of" acl add --dir "$dir" --principal User:a --operation Read --topic t --cluster
    refused "remove, no directory" "no log directory $dir" acl remove --dir "$dir" --principal User:a --operation Read --topic t
    mkdir -p "$dir"
    refused "remove missing" "no such ACL" acl remove --dir "$dir" --principal User:a --operation Read --topic t
    expect_eq "nothing stored" "$("$strata" acl list --dir "$dir")" ""
    ;;
  help)
    help=$("$strata" --help) || die "--help failed"
    expect_contains "help" "$help" "user"
    expect_contains "help" "$help" "acl"
    expect_contains "user --help" "$("$strata" user --help)" "first line of stdin"
    ;;
  serve_errors)
    # Security flags that cannot work are refused before anything is bound or opened.
    pem=$work/none.pem
    refused "ssl without a certificate" "a TLS listener needs --tls-cert and --tls-key" \
      serve --dir "$dir" --listen ssl://127.0.0.1:0
    refused "cert without key" "--tls-cert needs --tls-key" serve --dir "$dir" --listen ssl://127.0.0.1:0 --tls-cert "$pem"
    refused "unknown protocol" "unknown protocol tls" serve --dir "$dir" --listen tls://127.0.0.1:0
    refused "PLAIN on plaintext" "--allow-plain-over-plaintext" \
      serve --dir "$dir" --listen sasl_plaintext://127.0.0.1:0 --sasl-mechanisms PLAIN
    refused "unknown mechanism" "unknown mechanism GSSAPI" \
      serve --dir "$dir" --listen sasl_plaintext://127.0.0.1:0 --sasl-mechanisms GSSAPI
    refused "mechanisms unused" "no sasl_plaintext:// or sasl_ssl:// --listen" \
      serve --dir "$dir" --sasl-mechanisms SCRAM-SHA-512
    refused "cert unused" "no ssl:// or sasl_ssl:// --listen" serve --dir "$dir" --tls-cert "$pem" --tls-key "$pem"
    refused "super user alone" "--super-user needs --authorize" serve --dir "$dir" --super-user admin
    refused "advertise count" "one per listener" serve --dir "$dir" --listen 127.0.0.1:0 --listen ssl://127.0.0.1:0 \
      --advertise a:1
    # Certificate files that cannot be loaded: refused before the port is bound or the log opened.
    refused "missing certificate file" "--tls-cert $pem: cannot read it: No such file or directory" \
      serve --dir "$dir" --listen ssl://127.0.0.1:0 --tls-cert "$pem" --tls-key "$pem"
    echo "not a certificate" > "$work/garbage.pem"
    refused "garbage certificate" "--tls-cert $work/garbage.pem: not a PEM certificate" \
      serve --dir "$dir" --listen sasl_ssl://127.0.0.1:0 --tls-cert "$work/garbage.pem" --tls-key "$work/garbage.pem"
    if command -v openssl > /dev/null; then
      mkdir "$work/certs"
      bash "$(dirname "$0")/../security/make_certificates.sh" "$work/certs" carol || die "make_certificates.sh"
      refused "a key not the certificate's" "--tls-key $work/certs/carol.key does not match" serve --dir "$dir" \
        --listen ssl://127.0.0.1:0 --tls-cert "$work/certs/server.pem" --tls-key "$work/certs/carol.key"
      refused "missing client CA" "--tls-client-ca $pem: cannot read it" serve --dir "$dir" \
        --listen ssl://127.0.0.1:0 --tls-cert "$work/certs/server.pem" --tls-key "$work/certs/server.key" \
        --tls-client-ca "$pem"
    fi
    [[ ! -e $dir ]] || die "a refused serve created its log directory $dir"
    help=$("$strata" serve --help) || die "serve --help failed"
    expect_contains "serve --help" "$help" "sasl_ssl"
    expect_contains "user --help" "$("$strata" user --help)" "SASL listeners"
    expect_contains "acl --help" "$("$strata" acl --help)" "serve --authorize enforces them"
    ;;
  *)
    die "unknown case"
    ;;
esac
echo "ok ($case_name)"
