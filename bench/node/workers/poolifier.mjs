// poolifier worker: task functions by name, called with execute(data, name).
import { ThreadWorker } from 'poolifier';

import { add, burn, jsonLoop } from './handlers.mjs';

export default new ThreadWorker({ add, burn, jsonLoop });
