/** `autoremediator replay <alertId>`: ask a running service to re-run a recorded alert. */
import axios from 'axios';

export async function runReplay(alertId: string, url: string, dryRun: boolean): Promise<number> {
  const token = process.env.ADMIN_TOKEN;
  const res = await axios.post(
    `${url.replace(/\/$/, '')}/api/v1/replay`,
    { alertId, dryRun },
    { headers: token ? { Authorization: `Bearer ${token}` } : {}, validateStatus: () => true, timeout: 30_000 },
  );
  if (res.status !== 200) {
    const msg = (res.data as { error?: { message?: string } })?.error?.message ?? JSON.stringify(res.data);
    process.stderr.write(`autoremediator replay: ${res.status}: ${msg}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(res.data, null, 2)}\n`);
  return 0;
}
