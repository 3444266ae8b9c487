/** /metrics after real traffic passes `promtool check metrics` (Debian package prometheus). */
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { describeWithBinaries } from '../../helpers/binaries.js';
import { referenceCluster } from '../../helpers/fake-cluster.js';
import { fixture } from '../../helpers/fixtures.js';
import { WEBHOOK_TOKEN, buildTestApp, settle } from '../../helpers/app.js';

describeWithBinaries({ promtool: 'prometheus' }, '/metrics', () => {
  test('names and help texts pass promtool check metrics', async () => {
    const t = await buildTestApp({ cluster: referenceCluster() });
    try {
      await request(t.app.http).post('/api/v1/alerts').set({ Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' }).send(fixture('firing-group-HighPodCPU-3-alerts').toString()).expect(202);
      await request(t.app.http).post('/api/v1/alerts').send('x').expect(401);
      await settle(t.app);
      const text = (await request(t.app.http).get('/metrics').expect(200)).text;
      expect(text).toMatch(/autoremediator_decisions_total/);
      // promtool prints problems and exits non-zero on any
      const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(out.trim()).toBe('');
    } finally {
      await t.close();
    }
  });
});
