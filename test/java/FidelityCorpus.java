// The independent side of the fidelity test: Kafka's own Java client writes a corpus of awkward records to
// the origin and reads topics back in a canonical form, so that origin and destination are compared without
// georep's code or a JavaScript Kafka client. test/integration/support/fidelity-corpus.ts compiles this file
// against the Kafka version's own jars and runs it.
//
//   produce  --bootstrap HOST:PORT --prefix NAME
//            creates the corpus topics <NAME>.<kind> and fills them; prints one JSON line: the manifest
//            {"topics":[{"name","kind","partitions","configs":{..}}],"abortedValuePrefix":"aborted-"}
//   dump     --bootstrap HOST:PORT --topics A,B [--isolation read_committed|read_uncommitted]
//            reads every partition from its first to its end offset (the last stable offset under
//            read_committed); prints one JSON line per record, by topic, partition and offset:
//            {"topic","partition","offset","timestampType","timestamp","key","value","headers":[{"key","value"}]}
//            key, value and header values are base64, or null; headers stay in their order, repeats included
//   delete   --bootstrap HOST:PORT --topics A,B [--groups G,H]
//            deletes the topics and consumer groups (clean-up on clusters the test did not start)
//   describe --bootstrap HOST:PORT --topics A,B
//            prints one JSON line per topic: {"topic","partitions","configs":{..}} where configs holds only the
//            configs set on the topic itself (source DYNAMIC_TOPIC_CONFIG)
//
// Exits non-zero, with the reason on stderr, if anything fails.

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class FidelityCorpus {
  private static final String ABORTED_VALUE_PREFIX = "aborted-";
  /** Above Kafka's default max.message.bytes (1 MiB + 12), so the large records need the topic's own limit. */
  private static final int LARGE_TOPIC_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
  private static final Duration DUMP_TIMEOUT = Duration.ofSeconds(90);
  private static final long ONE_DAY_MS = 24L * 60 * 60 * 1000;

  public static void main(String[] args) throws Exception {
    if (args.length == 0) usage();
    Map<String, String> options = options(args);
    String bootstrap = required(options, "bootstrap");
    switch (args[0]) {
      case "produce" -> new Corpus(bootstrap, required(options, "prefix")).produce();
      case "dump" -> dump(bootstrap, topics(options), options.getOrDefault("isolation", "read_committed"));
      case "describe" -> describe(bootstrap, topics(options));
      case "delete" -> delete(bootstrap, topics(options), List.of(options.getOrDefault("groups", "").split(",")));
      default -> usage();
    }
  }

  private static void usage() {
    System.err.println("usage: FidelityCorpus produce|dump|describe|delete --bootstrap HOST:PORT [--prefix P] [--topics A,B] [--isolation I] [--groups G,H]");
    System.exit(2);
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int index = 1; index + 1 < args.length; index += 2) {
      if (!args[index].startsWith("--")) usage();
      options.put(args[index].substring(2), args[index + 1]);
    }
    return options;
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null) usage();
    return value;
  }

  private static List<String> topics(Map<String, String> options) {
    return List.of(required(options, "topics").split(","));
  }

  // ---------------------------------------------------------------------------------------------------
  // produce

  /** One corpus topic: its kind names what it covers; configs are set on the topic at creation. */
  private record CorpusTopic(String name, String kind, int partitions, Map<String, String> configs) {}

  private static final class Corpus {
    private final String bootstrap;
    private final String prefix;
    private final List<CorpusTopic> topics = new ArrayList<>();
    /** Fixed seed: the same corpus every run, so a failure can be reproduced. */
    private final Random random = new Random(20240917L);
    /** CreateTime of ordinary records: recent, so that no retention check ever deletes them during a test. */
    private final long baseTimestamp = System.currentTimeMillis() - 60 * 60 * 1000;

    Corpus(String bootstrap, String prefix) {
      this.bootstrap = bootstrap;
      this.prefix = prefix;
    }

    private CorpusTopic topic(String kind, int partitions, Map<String, String> configs) {
      CorpusTopic topic = new CorpusTopic(prefix + "." + kind, kind, partitions, configs);
      topics.add(topic);
      return topic;
    }

    void produce() throws Exception {
      CorpusTopic[] codecs = {
        topic("codec-none", 2, Map.of()),
        topic("codec-gzip", 2, Map.of()),
        topic("codec-snappy", 2, Map.of()),
        topic("codec-lz4", 2, Map.of()),
        topic("codec-zstd", 2, Map.of()),
      };
      CorpusTopic headers = topic("headers", 1, Map.of());
      CorpusTopic keysValues =
          topic("keys-values", 3, Map.of("cleanup.policy", "delete", "retention.ms", "2592000000"));
      // Records stamped in 1970 and 2000 sit in segments whose newest timestamp is that old: with any time
      // retention the broker would delete them (on the origin or the copy) in the middle of the test.
      // Records stamped years ahead too (scheduled events): the origin takes them with this limit, and a copy on
      // Kafka 4, whose brokers refuse a record more than an hour ahead by default, must take them as well.
      CorpusTopic timestamps = topic(
          "timestamps", 2, Map.of("retention.ms", "-1", "message.timestamp.after.max.ms", "9223372036854775807"));
      CorpusTopic logAppendTime = topic(
          "log-append-time", 2, Map.of("message.timestamp.type", "LogAppendTime", "retention.bytes", "1073741824"));
      CorpusTopic transactions = topic("transactions", 3, Map.of());
      CorpusTopic concurrentTransactions = topic("transactions-concurrent", 1, Map.of());
      CorpusTopic large = topic(
          "large", 1, Map.of("max.message.bytes", String.valueOf(LARGE_TOPIC_MAX_MESSAGE_BYTES)));
      // Default max.message.bytes: the origin takes these records only because they compress well.
      CorpusTopic compressedLarge = topic("compressed-large", 1, Map.of());
      CorpusTopic wide = topic("wide", 50, Map.of("retention.ms", "604800001"));
      CorpusTopic compacted = topic(
          "compacted", 1,
          Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.3", "delete.retention.ms", "3600000"));

      createTopics();

      for (CorpusTopic topic : codecs) {
        String codec = topic.kind().substring("codec-".length());
        try (KafkaProducer<byte[], byte[]> producer = producer(Map.of(
            ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
            ProducerConfig.LINGER_MS_CONFIG, "50",
            ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(128 * 1024)))) {
          sendAll(producer, codecRecords(topic));
        }
      }
      try (KafkaProducer<byte[], byte[]> producer = producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, "50"))) {
        sendAll(producer, headerRecords(headers));
        sendAll(producer, keyValueRecords(keysValues));
        sendAll(producer, timestampRecords(timestamps));
        sendAll(producer, wideRecords(wide));
        sendAll(producer, compactedRecords(compacted));
      }
      // Compressed, and in several sends with a pause between them: batches with different append times.
      try (KafkaProducer<byte[], byte[]> producer = producer(Map.of(
          ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4", ProducerConfig.LINGER_MS_CONFIG, "50"))) {
        for (int round = 0; round < 3; round++) {
          sendAll(producer, logAppendTimeRecords(logAppendTime, round));
          Thread.sleep(20);
        }
      }
      // batch.size stays at its default: each large record goes in a batch of its own, which must fit the
      // topic's max.message.bytes; the small ones share batches.
      try (KafkaProducer<byte[], byte[]> producer = producer(Map.of(
          ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(4 * LARGE_TOPIC_MAX_MESSAGE_BYTES),
          ProducerConfig.LINGER_MS_CONFIG, "50"))) {
        sendAll(producer, largeRecords(large));
      }
      try (KafkaProducer<byte[], byte[]> producer = producer(Map.of(
          ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * 1024 * 1024),
          ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip"))) {
        sendAll(producer, compressedLargeRecords(compressedLarge));
      }
      produceTransactions(transactions);
      produceConcurrentTransactions(concurrentTransactions);

      System.out.println(manifest());
    }

    private void createTopics() throws Exception {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        List<NewTopic> newTopics = topics.stream()
            .map(topic -> new NewTopic(topic.name(), topic.partitions(), (short) 1).configs(topic.configs()))
            .collect(Collectors.toList());
        admin.createTopics(newTopics).all().get(60, TimeUnit.SECONDS);
        // CreateTopics answers once the controller recorded the topics; the broker creates each partition's
        // log a little later (seconds, for 70-odd partitions on a busy machine). Producing into that gap has
        // made the Java producer fail with OUT_OF_ORDER_SEQUENCE_NUMBER, so wait until every partition's
        // leader answers ListOffsets, which needs the log (the admin client retries until it does).
        Map<TopicPartition, OffsetSpec> everyPartition = new HashMap<>();
        for (CorpusTopic topic : topics) {
          for (int partition = 0; partition < topic.partitions(); partition++) {
            everyPartition.put(new TopicPartition(topic.name(), partition), OffsetSpec.latest());
          }
        }
        admin.listOffsets(everyPartition).all().get(90, TimeUnit.SECONDS);
      }
    }

    private KafkaProducer<byte[], byte[]> producer(Map<String, String> overrides) {
      Properties properties = new Properties();
      properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      properties.put(ProducerConfig.ACKS_CONFIG, "all");
      properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      properties.putAll(overrides);
      return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private void sendAll(KafkaProducer<byte[], byte[]> producer, List<ProducerRecord<byte[], byte[]>> records)
        throws Exception {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (ProducerRecord<byte[], byte[]> record : records) sent.add(producer.send(record));
      producer.flush();
      for (Future<RecordMetadata> future : sent) future.get(60, TimeUnit.SECONDS);
    }

    private ProducerRecord<byte[], byte[]> record(
        CorpusTopic topic, int partition, long timestamp, byte[] key, byte[] value, List<Header> headers) {
      return new ProducerRecord<>(topic.name(), partition, timestamp, key, value, headers);
    }

    /** Values from a few bytes to several KiB: text that compresses, random bytes that do not. */
    private List<ProducerRecord<byte[], byte[]>> codecRecords(CorpusTopic topic) {
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int index = 0; index < 400; index++) {
        byte[] key = index % 7 == 0 ? null : utf8("key-" + index);
        byte[] value;
        if (index % 13 == 0) value = null;
        else if (index % 17 == 0) value = new byte[0];
        else if (index % 5 == 0) value = randomBytes(50 + index * 3);
        else value = utf8(text(topic.kind() + " record " + index, 10 + (index * 37) % 6000));
        List<Header> headers = new ArrayList<>();
        headers.add(new RecordHeader("index", utf8(String.valueOf(index))));
        if (index % 3 == 0) headers.add(new RecordHeader("index", null));
        if (index % 4 == 0) headers.add(new RecordHeader("bytes", randomBytes(index % 40)));
        records.add(record(topic, index % topic.partitions(), baseTimestamp + index, key, value, headers));
      }
      return records;
    }

    private List<ProducerRecord<byte[], byte[]>> headerRecords(CorpusTopic topic) {
      List<List<Header>> headerLists = new ArrayList<>();
      headerLists.add(List.of());
      headerLists.add(List.of(
          header("dup", "1"), header("other", "x"), header("dup", "2"), new RecordHeader("dup", null),
          header("dup", ""), header("dup", "2")));
      // Integer-like keys and keys that are special to JavaScript objects, in an order no object keeps.
      headerLists.add(List.of(
          header("zeta", "1"), header("alpha", "2"), header("10", "3"), header("2", "4"),
          header("__proto__", "5"), header("constructor", "6"), header("toString", "7")));
      headerLists.add(List.of(new RecordHeader("null-value", null)));
      headerLists.add(List.of(header("empty-value", "")));
      headerLists.add(List.of(header("", "a header with an empty key")));
      headerLists.add(List.of(
          new RecordHeader("not-utf8", new byte[] {(byte) 0xff, (byte) 0xfe, 0, (byte) 0xc3, 0x28, (byte) 0x80}),
          new RecordHeader("latin-1", "Zürich".getBytes(StandardCharsets.ISO_8859_1)),
          new RecordHeader("random", randomBytes(64))));
      headerLists.add(List.of(header("ключ-ü-✓-🚀", "значение ✓ 🚀"), header("tab\tand\nnewline", "\u0000")));
      List<Header> many = new ArrayList<>();
      for (int index = 0; index < 200; index++) {
        many.add(index % 3 == 0 ? new RecordHeader("many-" + (index % 7), null) : header("many-" + (index % 7), "v" + index));
      }
      headerLists.add(many);
      headerLists.add(List.of(new RecordHeader("large", randomBytes(100 * 1024)), header("after-large", "still here")));

      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int index = 0; index < headerLists.size(); index++) {
        byte[] key = index % 2 == 0 ? utf8("headers-" + index) : null;
        byte[] value = index % 3 == 0 ? null : utf8("value with headers " + index);
        records.add(record(topic, 0, baseTimestamp + index, key, value, headerLists.get(index)));
      }
      return records;
    }

    private List<ProducerRecord<byte[], byte[]>> keyValueRecords(CorpusTopic topic) {
      byte[][][] keyValues = {
        {null, utf8("a record without a key")},
        {new byte[0], new byte[0]},
        {utf8("deleted-entity"), null},
        {null, null},
        {new byte[0], null},
        {null, new byte[0]},
        {new byte[] {(byte) 0xff, 0, (byte) 0xfe}, new byte[] {(byte) 0xc0, (byte) 0xaf, 0, (byte) 0xed, (byte) 0xa0, (byte) 0x80}},
        {utf8("same-key"), utf8("first")},
        {utf8("same-key"), utf8("second")},
        {utf8("Genève ✓"), utf8("Zürich → München")},
        {randomBytes(2000), randomBytes(3000)},
        // The key of a transaction's abort marker (version 0, type 0), on an ordinary record.
        {new byte[] {0, 0, 0, 0}, utf8("a plain record keyed like an abort marker")},
      };
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      int index = 0;
      for (int partition = 0; partition < topic.partitions(); partition++) {
        for (byte[][] keyValue : keyValues) {
          records.add(record(topic, partition, baseTimestamp + index++, keyValue[0], keyValue[1], List.of()));
        }
      }
      return records;
    }

    private List<ProducerRecord<byte[], byte[]>> timestampRecords(CorpusTopic topic) {
      long now = System.currentTimeMillis();
      // Out of order on purpose: a batch's first timestamp is then not its smallest, deltas go negative, and
      // 999999999999 / 1000000000000 differ in digit count (a string sort puts them the wrong way round).
      long[] timestamps = {
        0L, 1L, 946684800000L, now - ONE_DAY_MS, now, 1234567890123L, now - 5, 999999999999L, 1000000000000L,
        now - 365 * ONE_DAY_MS, 2L, now + 365 * ONE_DAY_MS, 253402300799000L,
      };
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int partition = 0; partition < topic.partitions(); partition++) {
        for (int index = 0; index < timestamps.length; index++) {
          long timestamp = timestamps[(index + partition * 3) % timestamps.length];
          records.add(record(topic, partition, timestamp, utf8("t-" + index), utf8("stamped " + timestamp), List.of()));
        }
      }
      return records;
    }

    private List<ProducerRecord<byte[], byte[]>> logAppendTimeRecords(CorpusTopic topic, int round) {
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int index = 0; index < 10; index++) {
        // The broker replaces this CreateTime with its own append time.
        long createTime = 946684800000L + index;
        records.add(record(topic, index % topic.partitions(), createTime, utf8("lat-" + round + "-" + index),
            utf8("appended in round " + round), List.of(header("round", String.valueOf(round)))));
      }
      return records;
    }

    private List<ProducerRecord<byte[], byte[]>> largeRecords(CorpusTopic topic) {
      int[] valueSizes = {100, 1_000_000, 1024 * 1024, 1_200_000, 10, 1_048_000};
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int index = 0; index < valueSizes.length; index++) {
        List<Header> headers = List.of(header("size", String.valueOf(valueSizes[index])), new RecordHeader("pad", randomBytes(1000)));
        records.add(record(topic, 0, baseTimestamp + index, utf8("large-" + index), randomBytes(valueSizes[index]), headers));
      }
      return records;
    }

    /** Values of several MB of repetitive text: a few KB each once compressed, far above 1 MiB uncompressed. */
    private List<ProducerRecord<byte[], byte[]>> compressedLargeRecords(CorpusTopic topic) {
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      int[] valueSizes = {3 * 1024 * 1024, 100, 1_500_000};
      for (int index = 0; index < valueSizes.length; index++) {
        String line = "{\"order\":" + index + ",\"status\":\"shipped\",\"region\":\"eu-west\"}\n";
        byte[] value = utf8(line.repeat(valueSizes[index] / line.length() + 1).substring(0, valueSizes[index]));
        records.add(record(topic, 0, baseTimestamp + index, utf8("compressed-large-" + index), value, List.of()));
      }
      return records;
    }

    private List<ProducerRecord<byte[], byte[]>> wideRecords(CorpusTopic topic) {
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int partition = 0; partition < topic.partitions(); partition++) {
        for (int index = 0; index < 3; index++) {
          records.add(record(topic, partition, baseTimestamp + partition * 10 + index, utf8("p" + partition + "-" + index),
              utf8("record " + index + " of partition " + partition), List.of(header("partition", String.valueOf(partition)))));
        }
      }
      return records;
    }

    /** A compacted topic needs keys; tombstones are how its records are deleted. */
    private List<ProducerRecord<byte[], byte[]>> compactedRecords(CorpusTopic topic) {
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int index = 0; index < 30; index++) {
        byte[] key = utf8("entity-" + (index % 8));
        byte[] value = index % 5 == 4 ? null : utf8("state " + index);
        records.add(record(topic, 0, baseTimestamp + index, key, value, List.of()));
      }
      return records;
    }

    /**
     * Committed and aborted transactions, with plain (non-transactional) records written while a transaction
     * that is later aborted is open, so that aborted records sit between records that must be copied.
     * Partition 2 only ever sees aborted records, and every partition ends with an abort marker.
     */
    private void produceTransactions(CorpusTopic topic) throws Exception {
      String name = topic.name();
      try (KafkaProducer<byte[], byte[]> transactional = producer(Map.of(
              ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-corpus-transactions"));
          KafkaProducer<byte[], byte[]> plain = producer(Map.of())) {
        transactional.initTransactions();
        int sequence = 0;

        transactional.beginTransaction();
        for (int index = 0; index < 5; index++) {
          for (int partition = 0; partition < 2; partition++) {
            transactional.send(record(topic, partition, baseTimestamp + sequence++, utf8("tx-a-" + index),
                utf8("committed-a-" + index), List.of(header("tx", "a"))));
          }
        }
        transactional.commitTransaction();

        transactional.beginTransaction();
        for (int index = 0; index < 5; index++) {
          for (int partition = 0; partition < 3; partition++) {
            transactional.send(record(topic, partition, baseTimestamp + sequence++, utf8("tx-b-" + index),
                utf8(ABORTED_VALUE_PREFIX + "b-" + index), List.of(header("tx", "b"))));
          }
        }
        transactional.flush();
        List<ProducerRecord<byte[], byte[]>> during = new ArrayList<>();
        for (int index = 0; index < 4; index++) {
          for (int partition = 0; partition < 2; partition++) {
            during.add(record(topic, partition, baseTimestamp + sequence++, utf8("plain-" + index),
                utf8("plain-during-b-" + index), List.of()));
          }
        }
        sendAll(plain, during);
        for (int index = 5; index < 8; index++) {
          for (int partition = 0; partition < 3; partition++) {
            // An aborted record whose key is that of an abort marker must not end the aborted transaction.
            byte[] key = index == 5 ? new byte[] {0, 0, 0, 0} : utf8("tx-b-" + index);
            transactional.send(record(topic, partition, baseTimestamp + sequence++, key,
                utf8(ABORTED_VALUE_PREFIX + "b-" + index), List.of(header("tx", "b"))));
          }
        }
        transactional.flush();
        transactional.abortTransaction();

        transactional.beginTransaction();
        for (int index = 0; index < 3; index++) {
          transactional.send(record(topic, 0, baseTimestamp + sequence++, null, utf8("committed-c-" + index),
              List.of(header("tx", "c"), new RecordHeader("tx", null))));
        }
        transactional.commitTransaction();

        transactional.beginTransaction();
        for (int partition = 0; partition < 3; partition++) {
          transactional.send(record(topic, partition, baseTimestamp + sequence++, utf8("tx-d"),
              utf8(ABORTED_VALUE_PREFIX + "d-" + partition), List.of(header("tx", "d"))));
        }
        transactional.flush();
        transactional.abortTransaction();
      }
    }

    /**
     * Three transactional producers on one partition at the same time. The aborted transactions end in the
     * reverse order of their start, so the broker lists them (in the order they ended) with the later start
     * first; a committed transaction runs between them. Records of about 300 KB make a reader fetch the
     * partition in several pieces, each starting inside the aborted transactions.
     */
    private void produceConcurrentTransactions(CorpusTopic topic) throws Exception {
      int largeValueBytes = 300 * 1024;
      try (KafkaProducer<byte[], byte[]> first = producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-concurrent-1"));
          KafkaProducer<byte[], byte[]> second = producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-concurrent-2"));
          KafkaProducer<byte[], byte[]> third = producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-concurrent-3"));
          KafkaProducer<byte[], byte[]> plain = producer(Map.of())) {
        for (KafkaProducer<byte[], byte[]> producer : List.of(first, second, third)) {
          producer.initTransactions();
          producer.beginTransaction();
        }
        int sequence = 0;
        for (int round = 0; round < 4; round++) {
          sendAll(first, List.of(record(topic, 0, baseTimestamp + sequence++, utf8("first-" + round),
              concat(utf8(ABORTED_VALUE_PREFIX + "first-" + round + " "), randomBytes(largeValueBytes)), List.of())));
          sendAll(second, List.of(record(topic, 0, baseTimestamp + sequence++, utf8("second-" + round),
              utf8("committed-second-" + round), List.of(header("tx", "second")))));
          sendAll(third, List.of(record(topic, 0, baseTimestamp + sequence++, utf8("third-" + round),
              concat(utf8(ABORTED_VALUE_PREFIX + "third-" + round + " "), randomBytes(largeValueBytes)), List.of())));
        }
        third.abortTransaction();
        second.commitTransaction();
        first.abortTransaction();
        sendAll(plain, List.of(record(topic, 0, baseTimestamp + sequence++, null, utf8("plain-after"), List.of())));
      }
    }

    private String manifest() {
      StringBuilder json = new StringBuilder("{\"topics\":[");
      for (int index = 0; index < topics.size(); index++) {
        CorpusTopic topic = topics.get(index);
        if (index > 0) json.append(',');
        json.append("{\"name\":").append(jsonString(topic.name()))
            .append(",\"kind\":").append(jsonString(topic.kind()))
            .append(",\"partitions\":").append(topic.partitions())
            .append(",\"configs\":").append(jsonObject(new TreeMap<>(topic.configs())))
            .append('}');
      }
      return json.append("],\"abortedValuePrefix\":").append(jsonString(ABORTED_VALUE_PREFIX)).append('}').toString();
    }

    private byte[] randomBytes(int length) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      return bytes;
    }

    private String text(String start, int length) {
      String[] words = {"origin", "replica", "offset", "partition", "london", "dublin", "frankfurt", "order"};
      StringBuilder text = new StringBuilder(start);
      while (text.length() < length) text.append(' ').append(words[random.nextInt(words.length)]).append(random.nextInt(1000));
      return text.substring(0, length);
    }
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] first, byte[] second) {
    byte[] joined = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, joined, first.length, second.length);
    return joined;
  }

  private static Header header(String key, String value) {
    return new RecordHeader(key, utf8(value));
  }

  // ---------------------------------------------------------------------------------------------------
  // dump

  private static void dump(String bootstrap, List<String> topics, String isolation) throws Exception {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    properties.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(4 * 1024 * 1024));
    StringBuilder out = new StringBuilder();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      // Every partition of every topic at once: one fetch loop instead of one per topic.
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        List<TopicPartition> ofTopic = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
          ofTopic.add(new TopicPartition(topic, info.partition()));
        }
        ofTopic.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        partitions.addAll(ofTopic);
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // Under read_committed these are last stable offsets: the end of what a read_committed reader can see.
      Map<TopicPartition, Long> endOffsets = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records = new LinkedHashMap<>();
      for (TopicPartition partition : partitions) records.put(partition, new ArrayList<>());
      long deadline = System.nanoTime() + DUMP_TIMEOUT.toNanos();
      while (!reachedEnd(consumer, partitions, endOffsets)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("dump did not reach the end offsets " + endOffsets + " within " + DUMP_TIMEOUT);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          if (record.offset() < endOffsets.get(partition)) records.get(partition).add(record);
        }
      }
      for (List<ConsumerRecord<byte[], byte[]>> partitionRecords : records.values()) {
        for (ConsumerRecord<byte[], byte[]> record : partitionRecords) out.append(recordJson(record)).append('\n');
      }
    }
    System.out.print(out);
    System.out.flush();
  }

  private static boolean reachedEnd(
      KafkaConsumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions, Map<TopicPartition, Long> endOffsets) {
    for (TopicPartition partition : partitions) {
      if (consumer.position(partition, Duration.ofSeconds(30)) < endOffsets.get(partition)) return false;
    }
    return true;
  }

  private static String recordJson(ConsumerRecord<byte[], byte[]> record) {
    StringBuilder json = new StringBuilder("{\"topic\":").append(jsonString(record.topic()))
        .append(",\"partition\":").append(record.partition())
        .append(",\"offset\":").append(record.offset())
        .append(",\"timestampType\":").append(jsonString(record.timestampType().name))
        .append(",\"timestamp\":").append(record.timestamp())
        .append(",\"key\":").append(base64(record.key()))
        .append(",\"value\":").append(base64(record.value()))
        .append(",\"headers\":[");
    boolean first = true;
    for (Header header : record.headers()) {
      if (!first) json.append(',');
      first = false;
      json.append("{\"key\":").append(jsonString(header.key())).append(",\"value\":").append(base64(header.value())).append('}');
    }
    return json.append("]}").toString();
  }

  private static String base64(byte[] bytes) {
    return bytes == null ? "null" : "\"" + Base64.getEncoder().encodeToString(bytes) + "\"";
  }

  // ---------------------------------------------------------------------------------------------------
  // describe

  private static void describe(String bootstrap, List<String> topics) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Map<String, TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
      List<ConfigResource> resources = topics.stream()
          .map(topic -> new ConfigResource(ConfigResource.Type.TOPIC, topic))
          .collect(Collectors.toList());
      Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
      for (String topic : topics) {
        Map<String, String> setOnTopic = new TreeMap<>();
        for (ConfigEntry entry : configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic)).entries()) {
          if (entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) setOnTopic.put(entry.name(), entry.value());
        }
        System.out.println("{\"topic\":" + jsonString(topic)
            + ",\"partitions\":" + descriptions.get(topic).partitions().size()
            + ",\"configs\":" + jsonObject(setOnTopic) + "}");
      }
    }
  }

  private static void delete(String bootstrap, List<String> topics, List<String> groups) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<String> groupIds = groups.stream().filter(group -> !group.isEmpty()).collect(Collectors.toList());
      if (!groupIds.isEmpty()) admin.deleteConsumerGroups(groupIds).all().get(30, TimeUnit.SECONDS);
      admin.deleteTopics(topics).all().get(60, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // JSON

  private static String jsonObject(Map<String, String> entries) {
    return entries.entrySet().stream()
        .map(entry -> jsonString(entry.getKey()) + ":" + (entry.getValue() == null ? "null" : jsonString(entry.getValue())))
        .collect(Collectors.joining(",", "{", "}"));
  }

  /** A JSON string; everything outside printable ASCII is a \\u escape, so the output is plain ASCII. */
  private static String jsonString(String text) {
    StringBuilder json = new StringBuilder("\"");
    for (int index = 0; index < text.length(); index++) {
      char c = text.charAt(index);
      if (c == '"' || c == '\\') json.append('\\').append(c);
      else if (c < 0x20 || c > 0x7e) json.append(String.format("\\u%04x", (int) c));
      else json.append(c);
    }
    return json.append('"').toString();
  }
}
