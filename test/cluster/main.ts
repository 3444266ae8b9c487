/**
 * `npm run control-plane`: starts the real control plane (test/cluster/control-plane.ts) and prints
 *   CONTROL_PLANE_READY {"kubeconfig": "...", "adminKubeconfig": "...", "server": "...", "version": "v1.xx.y"}
 * then runs until SIGINT/SIGTERM, which stops every process it started and removes its files.
 * Component output goes to stderr with `--verbose`.
 */
import { startControlPlane } from './control-plane.js';

const verbose = process.argv.includes('--verbose');
const seed = !process.argv.includes('--no-seed');

const cp = await startControlPlane({ seed, ...(verbose ? { log: (l: string) => process.stderr.write(l) } : {}) }).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
console.log(`CONTROL_PLANE_READY ${JSON.stringify({ kubeconfig: cp.kubeconfig, adminKubeconfig: cp.adminKubeconfig, server: cp.server, version: cp.version })}`);
console.log(`  the service:  KUBECONFIG=${cp.kubeconfig} ALLOWED_NAMESPACES=ci npm start`);
console.log(`  kubectl:      kubectl --kubeconfig ${cp.adminKubeconfig} get deploy,hpa -A`);
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void cp.stop().then(() => process.exit(0));
  });
}
