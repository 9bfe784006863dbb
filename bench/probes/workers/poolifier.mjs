import { ThreadWorker } from 'poolifier';

import { handlers } from './timed.mjs';

export default new ThreadWorker(handlers);
