-- mixed: create, then poll. Requests alternate between a POST of the create body
-- and a GET of the task most recently created on this thread, so half the load is
-- creates and half is polls of tasks that really exist on the server.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local body = common.read_file(os.getenv("BENCH_BODY_FILE"))
-- The get path template, e.g. /kling/v1/images/editing/expand/{task_id}.
local task_path = os.getenv("BENCH_TASK_PATH")
local create_request = nil
local get_headers = {}
local last_task_id = nil
local sent = 0

function init(args)
  local post_headers = {}
  for name, value in pairs(wrk.headers) do
    post_headers[name] = value
    get_headers[name] = value
  end
  post_headers["Content-Type"] = "application/json"
  create_request = wrk.format("POST", wrk.path, post_headers, body)
end

function request()
  sent = sent + 1
  if last_task_id == nil or sent % 2 == 1 then
    return create_request
  end
  local path = task_path:gsub("{task_id}", last_task_id)
  return wrk.format("GET", path, get_headers, nil)
end

function response(status, headers, response_body)
  if status == 200 then
    local task_id = response_body:match('"task_id"%s*:%s*"([^"]+)"')
    if task_id ~= nil then
      last_task_id = task_id
    end
  end
end

done = common.done
