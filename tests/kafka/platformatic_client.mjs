// @platformatic/kafka (pure JavaScript, written for Kafka 3.5+, so it speaks flexible versions only: Metadata
// 9+, Produce 7+ with InitProducerId 3+, JoinGroup 6+, Fetch 12+ whose topics it names by id) against
// `strata serve`: CreateTopics, Metadata, an idempotent producer (acks=all) and a consumer group that reads
// every message back.
//   usage: node platformatic_client.mjs HOST:PORT
if (!Promise.withResolvers) {  // Node 20 has none; the client expects it
  Promise.withResolvers = () => {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
const { Producer, Consumer, Admin, stringSerializers, stringDeserializers } = await import('@platformatic/kafka')
const broker = process.argv[2]
const topic = 'flex-' + Date.now()
const count = 50
const admin = new Admin({ clientId: 'flex-admin', bootstrapBrokers: [broker] })
await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 })
const meta = await admin.metadata({ topics: [topic] })
const partitions = meta.topics.get(topic).partitionsCount
if (partitions !== 2) { console.error('metadata: ' + partitions + ' partitions, expected 2'); process.exit(1) }
await admin.close()
const producer = new Producer({ clientId: 'flex-producer', bootstrapBrokers: [broker], serializers: stringSerializers, idempotent: true, acks: -1 })
for (let i = 0; i < count; i++) {
  await producer.send({ messages: [{ topic, key: 'k' + i, value: 'v' + i, partition: i % 2 }] })
}
await producer.close()
console.log('produced', count)
const consumer = new Consumer({ groupId: 'flex-group', clientId: 'flex-consumer', bootstrapBrokers: [broker], deserializers: stringDeserializers })
const stream = await consumer.consume({ autocommit: true, topics: [topic], mode: 'earliest', sessionTimeout: 10000, heartbeatInterval: 500 })
const seen = new Set()
for await (const message of stream) {
  seen.add(message.value)
  if (seen.size === count) break
}
await stream.close()
await consumer.close()
for (let i = 0; i < count; i++) if (!seen.has('v' + i)) { console.error('missing v' + i); process.exit(1) }
console.log('consumed', seen.size, 'of', count)
