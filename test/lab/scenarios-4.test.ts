// Lab scenarios proven to real clients, shard 4 of 4 (see prove-suite.ts).
import { describeProofs } from './prove-suite.js';

describeProofs(4, 4);
