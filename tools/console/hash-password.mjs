#!/usr/bin/env node
// Prints a console user's secret for GS_CONSOLE_USERS (name:role:<this>): scrypt with a random salt.
//   node tools/console/hash-password.mjs 'the password'
import { randomBytes, scryptSync } from 'node:crypto';

const password = process.argv[2];
if (!password) {
  console.error('usage: node tools/console/hash-password.mjs <password>');
  process.exit(2);
}
const salt = randomBytes(16);
console.log(`scrypt$${salt.toString('hex')}$${scryptSync(password, salt, 32).toString('hex')}`);
