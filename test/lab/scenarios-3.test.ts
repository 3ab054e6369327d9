// Lab scenarios proven to real clients, shard 3 of 4 (see prove-suite.ts).
import { describeProofs } from './prove-suite.js';

describeProofs(3, 4);
