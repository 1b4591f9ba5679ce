-- The master gate of the redis-ha front (HAProxy). Every few hundred milliseconds it asks each
-- sentinel of the group which address is the master, and serves only the redis server that a
-- majority of all the group's sentinels name, when no sentinel that answers names another: every
-- other server gets weight 0 and its sessions are cut. Sentinels that disagree are in the middle of
-- a failover (the others learn the new master from the leader's hello messages, sent every 2 s:
-- redis/redis `src/sentinel.c`, SENTINEL_PUBLISH_PERIOD), and without a majority (sentinels
-- unreachable, a partition) there is no master to trust: in both cases nothing is served. So a master that Sentinel has replaced (resumed after a
-- hang, or healed after a partition) never takes a write through the front, whatever it says of
-- itself.
--
-- Told what to watch by the environment HAProxy's `setenv` lines give it (front/haproxyConfig.ts).
-- HAProxy's Lua API (haproxy/haproxy `doc/lua-api/index.rst`): tasks (`core.register_task`) may
-- use sockets (`core.tcp`); `Server.get_stats().status` is the health state, and `set_weight` /
-- `shut_sess` act on one server.

local redis_backend = os.getenv("GATE_REDIS_BACKEND")
local sentinel_backend = os.getenv("GATE_SENTINEL_BACKEND")
local master_name = os.getenv("GATE_MASTER_NAME")
local interval_ms = tonumber(os.getenv("GATE_INTERVAL_MS")) or 200

-- SENTINEL GET-MASTER-ADDR-BY-NAME <name>, as a RESP array (any master name is safe in it).
local question = "*3\r\n$8\r\nSENTINEL\r\n$23\r\nGET-MASTER-ADDR-BY-NAME\r\n$" .. #master_name .. "\r\n" .. master_name .. "\r\n"

local function line(socket)
    local text = socket:receive("*l")
    return text and text:gsub("\r$", "")
end

-- "ip:port" of the master this sentinel names, or nil (unreachable, no answer, unknown name).
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
    socket:close()
    return answer
end

-- The address named by a majority of the configured sentinels and by every one that answers, or nil.
local function agreed_master()
    local named, votes, total = nil, 0, 0
    for _, server in pairs(core.backends[sentinel_backend].servers) do
        total = total + 1
        local answer = ask(server:get_addr())
        if answer then
            if named and answer ~= named then
                return nil
            end
            named, votes = answer, votes + 1
        end
    end
    if named and votes * 2 > total then
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
        local up = (server:get_stats().status or ""):match("^UP") ~= nil
        -- A served server whose check fails (killed, hung, cut off) is held out; it comes back only
        -- once its check passes again while the sentinels name it. Otherwise a hung master resuming
        -- just after a failover would pass its check, and be served, before the gate has heard of
        -- the failover.
        if serving[name] and not up then
            hold(name, server, ": its check failed")
        elseif wanted and not serving[name] and up then
            server:set_weight("1")
            serving[name] = true
            core.Info("master gate: serving " .. name .. " (" .. master .. ")")
        elseif not wanted and serving[name] ~= false then
            hold(name, server, master and "" or ": no master that every answering sentinel, and a majority, names")
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
