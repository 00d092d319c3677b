// Unit tests do no I/O: any attempt to open a network connection fails loudly, so a test that
// needs a broker or a server has to be an integration test (`*.int.spec.ts`).
const net = require('node:net');

const refuse = function refuse() {
  throw new Error('unit tests must not open network connections; write an *.int.spec.ts instead');
};
net.Socket.prototype.connect = refuse;
net.connect = refuse;
net.createConnection = refuse;
