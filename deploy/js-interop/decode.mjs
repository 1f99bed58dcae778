// Decodes one Kafka record value in the Confluent wire format with Confluent's own JavaScript
// client (@confluentinc/schemaregistry): it reads the schema id from the bytes, fetches the writer
// schema from the registry and decodes the Avro binary. Prints the record as one line of JSON.
//
//   node decode.mjs <registryUrl> <topic> <file-with-value-bytes>
import { readFile } from 'node:fs/promises';
import { AvroDeserializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry';

const [registryUrl, topic, file] = process.argv.slice(2);
if (!registryUrl || !topic || !file) {
  console.error('usage: node decode.mjs <registryUrl> <topic> <file-with-value-bytes>');
  process.exit(2);
}

const client = new SchemaRegistryClient({ baseURLs: [registryUrl], maxRetries: 0 });
const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
const bytes = await readFile(file);
const record = await deserializer.deserialize(topic, bytes);

// JSON has no BigInt, bytes or dates: print them as a Java-side reader can compare them.
const json = JSON.stringify(record, (key, value) => {
  if (typeof value === 'bigint') return value.toString();
  if (value && value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data).toString('base64');
  return value;
});
console.log(json);
