// workerpool worker: methods registered by name, called with exec(name, [data]).
import workerpool from 'workerpool';

import { add, burn, jsonLoop } from './handlers.mjs';

workerpool.worker({ add, burn, jsonLoop });
