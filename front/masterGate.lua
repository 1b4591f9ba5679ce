-- The master gate of the redis-ha front (HAProxy). Every few hundred milliseconds it asks each
-- sentinel of the group which address is the master, and serves only the redis server that a
-- majority of all the group's sentinels name, when no sentinel that votes names another: every
-- other server gets weight 0 and its sessions are cut. A sentinel running a failover holds every
-- server out until the switch. Sentinels that disagree are in the middle of
-- a failover (the others learn the new master from the leader's hello messages, sent every 2 s:
-- redis/redis `src/sentinel.c`, SENTINEL_PUBLISH_PERIOD), and without a majority (sentinels
-- unreachable, a partition) there is no master to trust: in both cases nothing is served. So a
-- master that Sentinel has replaced (resumed after a hang, or healed after a partition) never takes
-- a write through the front, whatever it says of itself.
--
-- Only an answer naming one of the group's redis servers is a vote. A sentinel pod the operator
-- has just (re)created starts from its template, `sentinel monitor mymaster 127.0.0.1 6379 2`
-- (spotahome/redis-operator `operator/redisfailover/service/generator.go`, sentinelConfigTemplate),
-- and names 127.0.0.1:6379 until the operator's next pass re-monitors it; one that does not monitor
-- the master yet answers nothing. Neither knows who the master is: such a sentinel neither shuts
-- the gate (as a disagreement would) nor opens it (it is still counted in the total).
--
-- Told what to watch by the environment HAProxy's `setenv` lines give it (front/haproxyConfig.ts).
-- HAProxy's Lua API (haproxy/haproxy `doc/lua-api/index.rst`): tasks (`core.register_task`) may
-- use sockets (`core.tcp`); `Server.get_stats()` carries the health state (`status`) and the last
-- check's result (`check_status`: "INI" until the first check has run, "L7OK" when it passed), and
-- `set_weight` / `shut_sess` act on one server.

local redis_backend = os.getenv("GATE_REDIS_BACKEND")
local sentinel_backend = os.getenv("GATE_SENTINEL_BACKEND")
local master_name = os.getenv("GATE_MASTER_NAME")
local interval_ms = tonumber(os.getenv("GATE_INTERVAL_MS")) or 100

-- SENTINEL GET-MASTER-ADDR-BY-NAME <name>, then SENTINEL MASTER <name> (its flags), pipelined as
-- RESP arrays (any master name is safe in them).
local name_arg = "$" .. #master_name .. "\r\n" .. master_name .. "\r\n"
local question = "*3\r\n$8\r\nSENTINEL\r\n$23\r\nGET-MASTER-ADDR-BY-NAME\r\n" .. name_arg
    .. "*3\r\n$8\r\nSENTINEL\r\n$6\r\nMASTER\r\n" .. name_arg

local function line(socket)
    local text = socket:receive("*l")
    return text and text:gsub("\r$", "")
end

-- Reads one RESP reply of bulk strings, returning whether any holds `text`.
local function reply_holds(socket, text)
    local head = line(socket)
    local count = head and tonumber(head:match("^%*(%d+)$"))
    if not count then
        return false
    end
    local found = false
    for _ = 1, count do
        line(socket)
        local value = line(socket)
        found = found or (value ~= nil and value:find(text, 1, true) ~= nil)
    end
    return found
end

-- "ip:port" of the master this sentinel names, or nil (unreachable, no answer, unknown name); and
-- whether it is running a failover of it (flag `failover_in_progress`, set when the failover
-- starts and cleared at the switch: redis/redis `src/sentinel.c`, SRI_FAILOVER_IN_PROGRESS).
local function ask(address)
    local host, port = address:match("^(.*):(%d+)$")
    if not host or host == "0.0.0.0" then
        return nil -- a DNS-resolved server without an address yet
    end
    local socket = core.tcp()
    socket:settimeout(0.5)
    local answer
    if socket:connect(host, tonumber(port)) and socket:send(question) then
        if line(socket) == "*2" then
            line(socket)
            local ip = line(socket)
            line(socket)
            local master_port = line(socket)
            if ip and master_port then
                answer = ip .. ":" .. master_port
            end
        end
    end
    local failing_over = answer ~= nil and reply_holds(socket, "failover_in_progress")
    socket:close()
    return answer, failing_over
end

-- The addresses ("ip:port") of the group's redis servers: the only answers that are votes.
local function members()
    local set = {}
    for _, server in pairs(core.backends[redis_backend].servers) do
        set[server:get_addr()] = true
    end
    return set
end

-- The master the gate last found agreed on.
local last_agreed = nil

-- The member named by a majority of the configured sentinels and by every one that votes, or nil.
local function agreed_master()
    local group = members()
    local named, votes, total = nil, 0, 0
    for _, server in pairs(core.backends[sentinel_backend].servers) do
        total = total + 1
        local answer, failing_over = ask(server:get_addr())
        if answer and group[answer] then
            -- A failover under way that still names the last agreed master: the replica it promotes
            -- takes writes before the sentinel names it, and every write the old master still
            -- acknowledges then is lost when it is made a replica (the preStop hook's `SENTINEL
            -- failover` does this on every master pod deletion). Once it names the promoted replica
            -- (it does before the failover ends) its answer is a vote again.
            if (failing_over and answer == last_agreed) or (named and answer ~= named) then
                return nil
            end
            named, votes = answer, votes + 1
        end
    end
    if named and votes * 2 > total then
        last_agreed = named
        return named
    end
    return nil
end

-- Servers start with weight 0 in the configuration (no new connections, health checks running):
-- nothing is served before the gate has heard a majority. The gate serves a server by giving it
-- weight 1, and holds it out with weight 0 and its sessions cut.
local serving = {}

local function hold(name, server, why)
    server:set_weight("0")
    server:shut_sess()
    serving[name] = false
    core.Info("master gate: holding " .. name .. why)
end

local function apply(master)
    for name, server in pairs(core.backends[redis_backend].servers) do
        local wanted = master ~= nil and server:get_addr() == master
        local stats = server:get_stats()
        local up = (stats.status or ""):match("^UP") ~= nil
        -- A server counts as UP before its first check ("UP 1/2", check_status "INI"): it is served
        -- only once its last check has passed.
        local passed = up and stats.check_status == "L7OK"
        -- A served server whose check fails (killed, hung, cut off) is held out; it comes back only
        -- once its check passes again while the sentinels name it. Otherwise a hung master resuming
        -- just after a failover would pass its check, and be served, before the gate has heard of
        -- the failover.
        if serving[name] and not up then
            hold(name, server, ": its check failed")
        elseif wanted and not serving[name] and passed then
            server:set_weight("1")
            serving[name] = true
            core.Info("master gate: serving " .. name .. " (" .. master .. ")")
        elseif not wanted and serving[name] ~= false then
            hold(name, server, master and "" or ": no master that every voting sentinel, and a majority, names")
        end
    end
end

core.register_task(function()
    while true do
        local ok, err = pcall(function()
            apply(agreed_master())
        end)
        if not ok then
            core.Warning("master gate: " .. tostring(err))
        end
        core.msleep(interval_ms)
    end
end)
