// sarama (Go; Debian's golang-github-shopify-sarama-dev) against `strata serve` on a sasl_ssl listener with
// --authorize, as a Go service would use it: SCRAM-SHA-512 (through github.com/xdg-go/scram, as sarama's
// example does) over TLS. USER logs in (timed), produces COUNT messages with a SyncProducer (acks=all) and
// reads them back in consumer group GROUP; the same user with a wrong password is refused with
// ErrSASLAuthenticationFailed, and a client made with it cannot start; DENIED_USER (no ACL) logs in but its
// produce is refused with ErrTopicAuthorizationFailed.
//
//	usage: sarama_client HOST:PORT CA_PEM TOPIC GROUP USER PASSWORD DENIED_USER DENIED_PASSWORD
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/Shopify/sarama"
	"github.com/xdg-go/scram"
)

const count = 100

// scramClient adapts xdg-go/scram to sarama.SCRAMClient.
type scramClient struct {
	conversation *scram.ClientConversation
}

func (c *scramClient) Begin(user, password, authzID string) error {
	client, err := scram.SHA512.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	c.conversation = client.NewConversation()
	return nil
}

func (c *scramClient) Step(challenge string) (string, error) { return c.conversation.Step(challenge) }
func (c *scramClient) Done() bool                            { return c.conversation.Done() }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAILED: "+format+"\n", args...)
	os.Exit(1)
}

func config(caFile, user, password string) *sarama.Config {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fail("%v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fail("%s: no certificate", caFile)
	}
	c := sarama.NewConfig()
	c.Version = sarama.V2_2_0_0 // the newest this sarama knows (1.22 predates flexible versions)
	c.ClientID = "sarama-security"
	c.Net.TLS.Enable = true
	c.Net.TLS.Config = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	c.Net.SASL.Enable = true
	c.Net.SASL.Handshake = true
	c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
	c.Net.SASL.User = user
	c.Net.SASL.Password = password
	c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{} }
	c.Metadata.Retry.Max = 1
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Return.Successes = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	return c
}

// login opens one broker connection (TCP, TLS, SaslHandshake v1, SaslAuthenticate rounds) and asks it for
// Metadata; returns how long that took, or the connection's error.
func login(broker string, c *sarama.Config) (time.Duration, error) {
	started := time.Now()
	b := sarama.NewBroker(broker)
	defer b.Close()
	if err := b.Open(c); err != nil {
		return 0, err
	}
	if _, err := b.GetMetadata(&sarama.MetadataRequest{}); err != nil {
		return 0, err
	}
	return time.Since(started), nil
}

func produce(broker string, c *sarama.Config, topic string) {
	producer, err := sarama.NewSyncProducer([]string{broker}, c)
	if err != nil {
		fail("producer: %v", err)
	}
	defer producer.Close()
	var messages []*sarama.ProducerMessage
	for i := 0; i < count; i++ {
		messages = append(messages, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("k" + strconv.Itoa(i)),
			Value: sarama.StringEncoder("v" + strconv.Itoa(i))})
	}
	if err := producer.SendMessages(messages); err != nil {
		fail("produce: %v", err)
	}
}

// collector is the consumer group's handler: it marks every message and stops when all have come.
type collector struct {
	mutex sync.Mutex
	seen  map[string]bool
	done  context.CancelFunc
}

func (*collector) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (*collector) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *collector) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for message := range claim.Messages() {
		session.MarkMessage(message, "")
		h.mutex.Lock()
		h.seen[string(message.Value)] = true
		if len(h.seen) == count {
			h.done()
		}
		h.mutex.Unlock()
	}
	return nil
}

func consume(broker string, c *sarama.Config, topic, group string) int {
	consumers, err := sarama.NewConsumerGroup([]string{broker}, group, c)
	if err != nil {
		fail("consumer group: %v", err)
	}
	defer consumers.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	handler := &collector{seen: map[string]bool{}, done: cancel}
	for ctx.Err() == nil {
		if err := consumers.Consume(ctx, []string{topic}, handler); err != nil {
			fail("consume: %v", err)
		}
	}
	handler.mutex.Lock()
	defer handler.mutex.Unlock()
	return len(handler.seen)
}

func main() {
	if len(os.Args) != 9 {
		fail("usage: sarama_client HOST:PORT CA_PEM TOPIC GROUP USER PASSWORD DENIED_USER DENIED_PASSWORD")
	}
	broker, caFile, topic, group, user, password := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6]
	c := config(caFile, user, password)
	took, err := login(broker, c)
	if err != nil {
		fail("login: %v", err)
	}
	fmt.Printf("login (connect, TLS, SCRAM-SHA-512, Metadata): %.1f ms\n", float64(took.Microseconds())/1000)
	produce(broker, c, topic)
	fmt.Println("produced", count)
	if got := consume(broker, c, topic, group); got != count {
		fail("consumed %d of %d", got, count)
	}
	fmt.Println("consumed", count, "of", count)

	wrong := config(caFile, user, "wrong-password")
	if _, err := login(broker, wrong); err != sarama.ErrSASLAuthenticationFailed {
		fail("wrong password: got %v, expected %v", err, sarama.ErrSASLAuthenticationFailed)
	}
	fmt.Printf("wrong password: %v (%d)\n", sarama.ErrSASLAuthenticationFailed, int16(sarama.ErrSASLAuthenticationFailed))
	if client, err := sarama.NewClient([]string{broker}, wrong); err == nil {
		client.Close()
		fail("wrong password: sarama.NewClient succeeded")
	} else {
		fmt.Println("wrong password: sarama.NewClient:", err)
	}

	denied(broker, config(caFile, os.Args[7], os.Args[8]), topic)
}

// denied: a user without an ACL logs in, and its produce is refused.
func denied(broker string, c *sarama.Config, topic string) {
	producer, err := sarama.NewSyncProducer([]string{broker}, c)
	if err != nil {
		fail("producer without an ACL: %v", err)
	}
	defer producer.Close()
	_, _, err = producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("x")})
	if err != sarama.ErrTopicAuthorizationFailed {
		fail("produce without an ACL: got %v, expected %v", err, sarama.ErrTopicAuthorizationFailed)
	}
	fmt.Printf("produce without an ACL: %v (%d)\n", err, int16(sarama.ErrTopicAuthorizationFailed))
}
