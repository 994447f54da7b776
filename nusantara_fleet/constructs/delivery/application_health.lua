-- Health of an argoproj.io/Application as its parent sees it, so that sync waves wait for each city.
-- Argo CD has no built-in Application health since v1.8, and a child's status can describe its previous
-- spec for a few seconds after the parent updates it (argo-cd #4577, #5585, #27917): report Progressing
-- until the child has compared and synced the spec it now has. Lua 5.1 sandbox: no `string` library.
hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status == nil or obj.status.health == nil or obj.status.sync == nil then
  hs.message = "waiting for child Application status"
  return hs
end
-- The gated city waits for a release manager: the parent never waits on it (neither on the human nor on
-- the gated city's health), so no other city's rollout depends on the gate. Its real state is the message.
local gated = false
if obj.metadata ~= nil and obj.metadata.annotations ~= nil then
  gated = obj.metadata.annotations["$gate_annotation"] == "true"
end
if gated then
  hs.status = "Healthy"
  hs.message = "gated (synced by a release manager): " .. tostring(obj.status.sync.status) .. ", " .. tostring(obj.status.health.status)
  return hs
end
if obj.operation ~= nil then
  hs.message = "child sync operation requested"
  return hs
end
local op = obj.status.operationState
if op ~= nil and (op.phase == "Running" or op.phase == "Terminating") then
  hs.message = "child sync operation " .. op.phase
  return hs
end
local sync = obj.status.sync
local want = obj.spec.source
if want == nil or sync.comparedTo == nil or sync.comparedTo.source == nil then
  hs.message = "child has not compared its current spec yet"
  return hs
end
local got = sync.comparedTo.source
if got.repoURL ~= want.repoURL or got.path ~= want.path or got.targetRevision ~= want.targetRevision then
  hs.message = "child status is stale: comparedTo differs from spec.source"
  return hs
end
if want.targetRevision ~= nil and #want.targetRevision == 40 and sync.revision ~= want.targetRevision then
  hs.message = "child has not observed pinned revision " .. want.targetRevision
  return hs
end
if sync.status ~= "Synced" then
  if op ~= nil and (op.phase == "Failed" or op.phase == "Error") and op.syncResult ~= nil and op.syncResult.revision == sync.revision then
    hs.status = "Degraded"
    hs.message = "child sync " .. op.phase .. ": " .. tostring(op.message)
    return hs
  end
  hs.message = "child is " .. tostring(obj.status.sync.status)
  return hs
end
hs.status = obj.status.health.status
if obj.status.health.message ~= nil then
  hs.message = obj.status.health.message
end
return hs
