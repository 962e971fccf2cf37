// kafkajs (pure JavaScript) against `strata serve` on a sasl_ssl listener with --authorize: USER logs in with
// SCRAM-SHA-512 over TLS (login timed), produces COUNT messages and reads them back in GROUP; a wrong password
// is refused with KafkaJSSASLAuthenticationError; DENIED_USER (no ACL) is refused with
// TOPIC_AUTHORIZATION_FAILED.
//   usage: node kafkajs_client.mjs HOST:PORT CA_PEM TOPIC GROUP USER:PASSWORD DENIED_USER:PASSWORD
import { readFileSync } from 'node:fs'
import kafkajs from 'kafkajs'

const { Kafka, logLevel } = kafkajs
const [broker, caFile, topic, group, login, deniedLogin] = process.argv.slice(2)
const count = 100
const ca = [readFileSync(caFile, 'utf8')]

function client(userAndPassword, retries = 5) {
  const [username, password] = userAndPassword.split(':')
  return new Kafka({
    clientId: 'kafkajs-security', brokers: [broker], ssl: { ca }, logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'scram-sha-512', username, password }, retry: { retries },
  })
}

function fail(message) {
  console.error('FAILED: ' + message)
  process.exit(1)
}

// What a call throws, or fail() when it succeeds.
async function refusal(what, call) {
  try {
    await call()
  } catch (error) {
    return error
  }
  fail(what + ' was not refused')
}

const kafka = client(login)
const started = performance.now()
const admin = kafka.admin()
await admin.connect()  // TCP, TLS, ApiVersions, SaslHandshake, two SaslAuthenticate rounds
console.log('login (connect, TLS, ApiVersions, SCRAM-SHA-512): ' + (performance.now() - started).toFixed(1) + ' ms')
await admin.disconnect()

const producer = kafka.producer({ idempotent: true })
await producer.connect()
for (let i = 0; i < count; i += 10) {
  const messages = Array.from({ length: 10 }, (_, j) => ({ key: 'k' + (i + j), value: 'v' + (i + j) }))
  await producer.send({ topic, acks: -1, messages })
}
await producer.disconnect()
console.log('produced', count)

const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 500 })
await consumer.connect()
await consumer.subscribe({ topics: [topic], fromBeginning: true })
const seen = new Set()
const done = new Promise((resolve) => {
  consumer.run({
    eachMessage: async ({ message }) => {
      seen.add(message.value.toString())
      if (seen.size === count) resolve()
    },
  })
})
const timeout = setTimeout(() => fail('consumed ' + seen.size + ' of ' + count), 30000)
await done
clearTimeout(timeout)
await consumer.disconnect()
console.log('consumed', seen.size, 'of', count)

const wrong = await refusal('a wrong password', async () => {
  const refusedAdmin = client(login.split(':')[0] + ':wrong-password', 0).admin()
  await refusedAdmin.connect()
})
if (wrong.name !== 'KafkaJSSASLAuthenticationError') fail('wrong password: ' + wrong.name + ': ' + wrong.message)
console.log('wrong password: ' + wrong.name + ': ' + wrong.message)

const deniedProducer = client(deniedLogin, 0).producer()
await deniedProducer.connect()  // the login itself succeeds
const denied = await refusal('a produce without an ACL',
  () => deniedProducer.send({ topic, messages: [{ value: 'x' }] }))
await deniedProducer.disconnect()
const cause = denied.cause ?? denied  // kafkajs's retrier wraps the protocol error in a KafkaJSNonRetriableError
if (cause.type !== 'TOPIC_AUTHORIZATION_FAILED') fail('produce without an ACL: ' + denied.name + ': ' + denied.message)
console.log(`produce without an ACL: ${denied.name} caused by ${cause.name} ${cause.type}: ${cause.message}`)
