// Validates custom resources with the upstream-schema validators of the @kubernetes-models packages.
// argv: the modules the batch needs, loaded while the batch is still being written to stdin.
// stdin: [{module, apiVersion, kind, body}]; stdout: [{errors: [...]} | {missing: "why"}], same order.
const models = new Map();
for (const module of process.argv.slice(2)) {
  load(module);
}

function load(module) {
  if (!models.has(module)) {
    models.set(
      module,
      import(module).then(
        (exports) => exports,
        () => ({}),
      ),
    );
  }
  return models.get(module);
}

async function model(request) {
  const found = (await load(request.module))[request.kind];
  // A module of the same name may hold a nested type (e.g. ApplicationSpec): only a top-level kind counts.
  return found && found.apiVersion === request.apiVersion && found.kind === request.kind ? found : undefined;
}

function where(error) {
  const path = error.instancePath.split("/").slice(1).join(".") || "(document)";
  const detail = error.params && error.params.allowedValues ? `: ${error.params.allowedValues.join(", ")}` : "";
  return `${path}: ${error.message}${detail}`;
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) {
  input += chunk;
}
const requests = JSON.parse(input);
const results = [];
for (const request of requests) {
  const Model = await model(request);
  if (!Model) {
    results.push({ missing: `${request.module} has no ${request.kind}` });
    continue;
  }
  try {
    new Model(request.body).validate();
    results.push({ errors: [] });
  } catch (error) {
    const errors = (error.errors || [{ instancePath: "", message: error.message }]).map(where);
    results.push({ errors: [...new Set(errors)].sort() });
  }
}
process.stdout.write(JSON.stringify(results));
