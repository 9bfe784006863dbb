// comlink worker: exposes the shared handlers; the page wraps one of these per worker and
// round-robins calls over them (bench/browser/libraries.js).
import * as Comlink from '/node_modules/comlink/dist/esm/comlink.mjs';
import { add } from '/bench/node/workers/handlers.mjs';

Comlink.expose({ add });
