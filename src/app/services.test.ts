import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyVisitorState } from '../runtime/engine.js';
import { openStore } from '../store/connect.js';
import { migrateToLatest } from '../store/migrate.js';
import { createServices } from './services.js';

test('the session cache holds as many sessions as TESSERA_SESSION_CACHE says (sessionCache), else its default', async () => {
  const stores = [openStore({ url: 'sqlite::memory:' }), openStore({ url: 'sqlite::memory:' })];
  for (const store of stores) await migrateToLatest(store);
  const small = createServices(stores[0], { sessionCache: 1000 });
  const usual = createServices(stores[1]);
  try {
    for (let i = 0; i < 1500; i++) {
      small.visitors.remember('acc', `s-${i}`, emptyVisitorState());
      usual.visitors.remember('acc', `s-${i}`, emptyVisitorState());
    }
    assert.equal(small.visitors.stats().cached, 1000);
    assert.equal(usual.visitors.stats().cached, 1500);
  } finally {
    await small.close();
    await usual.close();
  }
});
