// Validates custom resources against models generated from their upstream CRDs.
// Reads a JSON array of objects on stdin; prints one line per object; exits 1 if any object
// is invalid or of a group this file has no model package for.
//   node validate-crds.mjs < objects.json
const PACKAGES = {
  "argoproj.io": "@kubernetes-models/argo-rollouts",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "external-secrets.io": "@kubernetes-models/external-secrets",
};
// Argo CD shares the group argoproj.io with Argo Rollouts: its kinds have their own package.
const KIND_PACKAGES = {
  "argoproj.io/Application": "@kubernetes-models/argo-cd",
  "argoproj.io/AppProject": "@kubernetes-models/argo-cd",
};

async function modelClass(apiVersion, kind) {
  const [group, version] = apiVersion.split("/");
  const pkg = KIND_PACKAGES[`${group}/${kind}`] ?? PACKAGES[group];
  if (!pkg) throw new Error(`no model package for API group "${group}"`);
  const module = await import(`${pkg}/${group}/${version}/${kind}`);
  return module[kind];
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

let failed = 0;
for (const object of await readStdin()) {
  const name = `${object.kind}/${object.metadata?.name}`;
  try {
    const Model = await modelClass(object.apiVersion, object.kind);
    new Model(object).validate();
    console.log(`valid   ${object.apiVersion} ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`INVALID ${object.apiVersion} ${name}: ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
