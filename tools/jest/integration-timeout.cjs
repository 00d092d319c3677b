// Integration tests talk to a real broker (and sometimes start one): allow them a minute each.
jest.setTimeout(60_000);
