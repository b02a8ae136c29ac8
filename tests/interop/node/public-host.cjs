// Preloaded with `node --require`: resolves the test's public-looking host name to
// loopback, so the client (unmodified) reaches the local mock and never the network.
"use strict";
const dns = require("node:dns");

const host = process.env.KLING_MOCK_PUBLIC_HOST;
const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  if (hostname !== host) return lookup.apply(this, arguments);
  const done = typeof options === "function" ? options : callback;
  const all = typeof options === "object" && options !== null && options.all;
  process.nextTick(() =>
    all ? done(null, [{ address: "127.0.0.1", family: 4 }]) : done(null, "127.0.0.1", 4),
  );
};
