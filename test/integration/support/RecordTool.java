// Reads or writes records with Kafka's own Java client, so tests can check georep's records byte for byte
// with neither georep's code nor a JavaScript Kafka client involved. Run in Java's source-file mode with
// Kafka's jars:
//
//   java -cp '<kafka libs>/*' RecordTool.java dump <bootstrap> <topic>
//   java -cp '<kafka libs>/*' RecordTool.java produce <bootstrap> <topic> <compression>  < records
//
// One record per line, fields separated by tabs:
//   dump prints      partition  offset  timestampType  timestamp  key  value  headers
//   produce reads    partition  timestamp  key  value  headers
// key and value are base64, or ~ for null. headers is empty (none) or comma-separated key:value pairs, each
// side base64 (the key's UTF-8 bytes), a null value written as ~. Headers keep their order and repeats.
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class RecordTool {
  private static final String NULL = "~";
  private static final long DUMP_DEADLINE_MS = 60_000;

  public static void main(String[] args) throws Exception {
    if (args.length >= 3 && args[0].equals("dump")) {
      dump(args[1], args[2], args.length >= 4 ? args[3] : "read_committed");
    } else if (args.length >= 4 && args[0].equals("produce")) {
      produce(args[1], args[2], args[3], args.length >= 5 ? args[4] : null);
    } else {
      System.err.println("usage: RecordTool dump <bootstrap> <topic> [read_committed|read_uncommitted] | produce <bootstrap> <topic> <compression> [batch.size]");
      System.exit(2);
    }
  }

  /**
   * Prints every record of every partition that a consumer with this isolation level sees (read_committed:
   * committed ones only), from the log start to the end, in offset order. One partition at a time, printed as
   * it is read, so that memory does not grow with the topic (a few hundred thousand records once exhausted a
   * 256 MB heap when they were all held and sorted).
   */
  static void dump(String bootstrap, String topic, String isolationLevel) {
    Properties properties = new Properties();
    properties.put("bootstrap.servers", bootstrap);
    properties.put("key.deserializer", ByteArrayDeserializer.class.getName());
    properties.put("value.deserializer", ByteArrayDeserializer.class.getName());
    properties.put("isolation.level", isolationLevel);
    properties.put("enable.auto.commit", "false");
    properties.put("allow.auto.create.topics", "false");
    PrintStream out = new PrintStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .sorted(Comparator.comparingInt(TopicPartition::partition))
              .toList();
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      for (TopicPartition partition : partitions) {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        // The deadline is for a partition that stops making progress, not for a large one.
        long deadline = System.currentTimeMillis() + DUMP_DEADLINE_MS;
        while (consumer.position(partition) < ends.get(partition)) {
          if (System.currentTimeMillis() > deadline) throw new IllegalStateException("dump did not reach the end");
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
          if (!records.isEmpty()) deadline = System.currentTimeMillis() + DUMP_DEADLINE_MS;
          for (ConsumerRecord<byte[], byte[]> record : records) print(out, record);
        }
      }
    }
    out.flush();
  }

  private static void print(PrintStream out, ConsumerRecord<byte[], byte[]> record) {
    List<String> headers = new ArrayList<>();
    for (Header header : record.headers()) {
      headers.add(encode(header.key().getBytes(StandardCharsets.UTF_8)) + ":" + encode(header.value()));
    }
    out.append(String.valueOf(record.partition())).append('\t')
        .append(String.valueOf(record.offset())).append('\t')
        .append(record.timestampType().name).append('\t')
        .append(String.valueOf(record.timestamp())).append('\t')
        .append(encode(record.key())).append('\t')
        .append(encode(record.value())).append('\t')
        .append(String.join(",", headers)).append('\n');
  }

  /**
   * Sends each line's record to its partition with an idempotent producer, and waits for every ack. batchSize:
   * the producer's batch.size (null: Kafka's default).
   */
  static void produce(String bootstrap, String topic, String compression, String batchSize) throws Exception {
    Properties properties = new Properties();
    properties.put("bootstrap.servers", bootstrap);
    properties.put("key.serializer", ByteArraySerializer.class.getName());
    properties.put("value.serializer", ByteArraySerializer.class.getName());
    properties.put("acks", "all");
    properties.put("enable.idempotence", "true");
    properties.put("compression.type", compression);
    properties.put("linger.ms", "50");
    if (batchSize != null) properties.put("batch.size", batchSize);
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(properties);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) continue;
        String[] fields = line.split("\t", -1);
        RecordHeaders headers = new RecordHeaders();
        if (!fields[4].isEmpty()) {
          for (String pair : fields[4].split(",", -1)) {
            String[] parts = pair.split(":", -1);
            headers.add(new RecordHeader(new String(decode(parts[0]), StandardCharsets.UTF_8), decode(parts[1])));
          }
        }
        acks.add(
            producer.send(
                new ProducerRecord<>(
                    topic,
                    Integer.parseInt(fields[0]),
                    Long.parseLong(fields[1]),
                    decode(fields[2]),
                    decode(fields[3]),
                    headers)));
      }
      producer.flush();
      for (Future<RecordMetadata> ack : acks) ack.get();
    }
  }

  private static String encode(byte[] bytes) {
    return bytes == null ? NULL : Base64.getEncoder().encodeToString(bytes);
  }

  private static byte[] decode(String text) {
    return text.equals(NULL) ? null : Base64.getDecoder().decode(text);
  }
}
