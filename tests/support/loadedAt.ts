// Preloaded (`node -r`) into a command whose run a test times. The event loop's first turn comes
// after the command's modules are loaded and its main has begun, so the time written then, to the
// file REDIS_HA_TEST_LOADED_AT names, splits start-up (which a busy machine stretches, and which is
// no behaviour of ours) from the command's work, which the test bounds.

import * as fs from "fs";

const file = process.env.REDIS_HA_TEST_LOADED_AT;
if (file) {
    setImmediate(() => fs.writeFileSync(file, String(Date.now())));
}
