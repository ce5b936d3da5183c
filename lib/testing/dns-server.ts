import dgram from 'node:dgram';

/**
 * A tiny authoritative DNS server for tests: answers TXT queries from a table, NXDOMAIN-less
 * empty answers otherwise. Enough for domain verification through a real resolver.
 */
export async function startTxtDnsServer(records: Map<string, string[]>): Promise<{ address: string; close: () => Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    let off = 12;
    const labels: string[] = [];
    while (off < msg.length && msg[off] !== 0) {
      const len = msg[off];
      labels.push(msg.subarray(off + 1, off + 1 + len).toString('ascii'));
      off += len + 1;
    }
    const qEnd = off + 5; // zero byte, qtype, qclass
    const qtype = msg.readUInt16BE(off + 1);
    const name = labels.join('.').toLowerCase();
    const values = qtype === 16 ? (records.get(name) ?? []) : [];
    const answers = values.map((v) => {
      const txt = Buffer.from(v, 'utf8');
      const rr = Buffer.alloc(12 + 1 + txt.length);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(16, 2); // TXT
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(1 + txt.length, 10);
      rr[12] = txt.length;
      txt.copy(rr, 13);
      return rr;
    });
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, msg.subarray(12, qEnd), ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return { address: `127.0.0.1:${port}`, close: () => new Promise((r) => socket.close(() => r())) };
}
