// Expand JSON-LD documents with jsonld.js, as an independent client reads our answers.
//
// Reads {"contexts": {IRI: context}, "documents": [...]} on stdin; prints, for each document,
// {"error": null or why, "nodes": how many nodes the expanded form holds}. Safe mode makes
// jsonld.js fail where it would otherwise drop data silently (a member no term maps, an @id that
// is not an IRI...). The document loader serves the given contexts only: nothing is fetched.
import { readFileSync } from "node:fs";
import jsonld from "jsonld";

const { contexts, documents } = JSON.parse(readFileSync(0, "utf8"));

async function documentLoader(url) {
  if (Object.hasOwn(contexts, url)) {
    return { contextUrl: null, documentUrl: url, document: { "@context": contexts[url] } };
  }
  throw new Error(`refused to load ${url}: only bundled contexts are read`);
}

function nodes(value) {
  if (Array.isArray(value)) return value.reduce((sum, item) => sum + nodes(item), 0);
  if (value === null || typeof value !== "object" || "@value" in value) return 0;
  return 1 + Object.values(value).reduce((sum, item) => sum + nodes(item), 0);
}

const results = [];
for (const document of documents) {
  try {
    const expanded = await jsonld.expand(document, { documentLoader, safe: true });
    results.push({ error: null, nodes: nodes(expanded) });
  } catch (error) {
    const details = error.details ? JSON.stringify(error.details.event ?? error.details) : "";
    results.push({ error: `${error.message} ${details}`.slice(0, 2000), nodes: 0 });
  }
}
process.stdout.write(JSON.stringify(results));
