// Preloaded with `node --import`: a server that listens without naming a host (the
// reference server calls `app.listen(PORT)`, which means every interface) listens on
// 127.0.0.1 only. An explicit host is left alone.
import net from "node:net";

const listen = net.Server.prototype.listen;
const LOOPBACK = "127.0.0.1";

net.Server.prototype.listen = function (...args) {
  const [first, second] = args;
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    if (typeof second !== "string") args.splice(1, 0, LOOPBACK);
  } else if (first && typeof first === "object" && !first.path && first.host === undefined) {
    args[0] = { ...first, host: LOOPBACK };
  }
  return listen.apply(this, args);
};
