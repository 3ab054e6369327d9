// Lab scenarios proven to real clients, shard 1 of 4 (see prove-suite.ts).
import { describeProofs } from './prove-suite.js';

describeProofs(1, 4);
