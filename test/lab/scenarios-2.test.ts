// Lab scenarios proven to real clients, shard 2 of 4 (see prove-suite.ts).
import { describeProofs } from './prove-suite.js';

describeProofs(2, 4);
