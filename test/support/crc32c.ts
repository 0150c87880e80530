// CRC-32C (Castagnoli, reflected 0x82F63B78), the checksum of Kafka's record batches, one bit at a time: slow
// and plainly right, the reference that batch encoders are checked against.
export function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
