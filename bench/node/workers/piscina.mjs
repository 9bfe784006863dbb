// piscina worker: named exports, selected with run(data, { name }).
export { add, burn, jsonLoop } from './handlers.mjs';
