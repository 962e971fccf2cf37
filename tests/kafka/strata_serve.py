"""What the Python client tests share: `strata serve` started on a free loopback port."""
import subprocess


def start_serve(strata, directory, *extra):
    """Starts `strata serve --dir DIRECTORY --listen 127.0.0.1:0 EXTRA...`; returns (process, "127.0.0.1:PORT").
    Raises RuntimeError with serve's first line when it does not start."""
    proc = subprocess.Popen([strata, "serve", "--dir", directory, "--listen", "127.0.0.1:0", *extra],
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"serve did not start: {line}")
    port = line.split("listening on ")[1].split(" ")[0].rsplit(":", 1)[1]
    return proc, f"127.0.0.1:{port}"
