using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using WsFast.Load.Client;
using WsFast.Load.Client.Http;
using WsFast.Load.Engine;
using WsFast.Load.Scenarios.Feed;

namespace WsFast.Load.Cli;

/// <summary>
/// The feed commands, <c>ws-broadcast</c>, <c>sse</c>, <c>poll-long</c> and <c>poll-short</c>: N clients receive
/// one feed that the tool publishes itself over one HTTP connection at a fixed rate. They share every option;
/// only <c>poll-short</c> adds <c>--interval</c>, the HTTP ones <c>--browser-headers</c>, and <c>ws-broadcast</c>
/// <c>--subscribe-urls</c> and <c>--broker-pid</c> (subscribers spread over several servers sharing the topic).
/// </summary>
internal static class FeedCommand
{
    /// <summary>The receivers a feed command runs.</summary>
    public enum Kind
    {
        /// <summary>WebSocket subscribers.</summary>
        WebSocket,

        /// <summary>Server-Sent Events streams.</summary>
        EventStream,

        /// <summary>Long polls.</summary>
        LongPoll,

        /// <summary>Short polls every interval.</summary>
        ShortPoll,
    }

    public static Command Create(Kind kind)
    {
        var common = new CommonOptions(
            clients: 100, duration: 10, rampUp: 1, settle: 2, url: "http://127.0.0.1:8080",
            urlDescription: "The server's base URL (http:// or ws://, host and port; a path is ignored). Publishing goes to /publish/{topic}, receivers to /broadcast/{topic}, /sse/{topic} or /poll/{topic}. ws-broadcast also takes https:// or wss://: its subscribers then connect over TLS (see --ca), and the publisher posts over plain HTTP to --http-port.");
        var topic = new Option<string?>("--topic", "-t") { Description = "Topic to publish to and receive from. Default: a fresh name per run (load-<8 hex digits>), so no history of an earlier run is received." };
        var rate = new Option<double>("--rate", "-r") { Description = "Messages/s the publisher sends (one connection, one request at a time).", DefaultValueFactory = _ => 100 };
        var size = new Option<int>("--size", "-s") { Description = $"Payload bytes per message: JSON with the sequence number and publish timestamp, padded (at most {FeedPayload.MaxUnpaddedLength} without padding).", DefaultValueFactory = _ => 64 };
        var ticks = new Option<bool>("--ticks") { Description = "Fill each message with market-data JSON quotes that differ from message to message, instead of padding letters (which compress to nothing): the payload for permessage-deflate runs." };
        var interval = new Option<double>("--interval") { Description = "Milliseconds between one client's short polls.", DefaultValueFactory = _ => 1000 };
        var subscribeUrls = new Option<string?>("--subscribe-urls")
        {
            Description = "Spread the subscribers over these servers, client i on the (i mod N)-th: base URLs (http:// or ws://) separated by commas, e.g. the nodes of one topic shared through a broker. The publisher still posts to --url, which may be one of them. Adds a table per node (deliveries, losses, order, latency, server CPU) and writes nodes.csv. Default: every subscriber on --url.",
        };
        var brokerPid = new Option<int?>("--broker-pid")
        {
            Description = "PID of a broker process the servers share (redis-server): its CPU time in the window is reported beside theirs, per delivery. Goes with --subscribe-urls.",
        };
        var browserHeaders = new Option<bool>("--browser-headers")
        {
            Description = $"Send each GET as Chromium {BrowserRequestHeaders.ChromiumVersion} does from a page of the same origin (fetch() for polls, EventSource for the stream): User-Agent, client hints, Accept, Sec-Fetch-*, Referer, Accept-Encoding, Accept-Language and a logged-in user's {BrowserRequestHeaders.CookieLength}-byte cookie. Default: only Host and Accept.",
        };

        (string name, string description) = kind switch
        {
            Kind.WebSocket => ("ws-broadcast", "N WebSocket subscribers of /broadcast/{topic} receive a feed published at R messages/s; measures fan-out latency (publish → receipt), deliveries, losses and bytes on the wire per delivery."),
            Kind.EventStream => ("sse", "N clients read GET /sse/{topic} (Server-Sent Events) while a feed is published at R messages/s; measures fan-out latency, deliveries, losses and bytes on the wire per delivery."),
            Kind.LongPoll => ("poll-long", "N clients long-poll GET /poll/{topic}?after=N over keep-alive connections while a feed is published at R messages/s; measures latency, deliveries, losses and bytes on the wire per delivery."),
            _ => ("poll-short", "N clients poll GET /poll/{topic}?after=N&wait=0 every --interval ms over keep-alive connections while a feed is published at R messages/s; measures latency, deliveries, losses and bytes on the wire per delivery."),
        };

        var command = new Command(name, description);
        common.AddTo(command);
        command.Options.Add(topic);
        command.Options.Add(rate);
        command.Options.Add(size);
        command.Options.Add(ticks);
        if (kind == Kind.ShortPoll)
        {
            command.Options.Add(interval);
        }

        if (kind != Kind.WebSocket)
        {
            command.Options.Add(browserHeaders);
        }
        else
        {
            command.Options.Add(subscribeUrls);
            command.Options.Add(brokerPid);
        }

        command.SetAction(async (parse, _) =>
        {
            double messagesPerSecond = parse.GetValue(rate);
            int messageSize = parse.GetValue(size);
            double intervalMs = kind == Kind.ShortPoll ? parse.GetValue(interval) : 1000;
            if (messagesPerSecond <= 0 || messageSize < 0 || intervalMs <= 0)
            {
                Console.Error.WriteLine("wsfast-load: --rate and --interval must be above 0, --size at least 0.");
                return 2;
            }

            string topicName = parse.GetValue(topic) ?? "load-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            WsClientOptions client;
            IPEndPoint? publishTo;
            var nodes = new List<WsClientOptions>();
            try
            {
                client = ClientOptions(parse, common, parse.GetValue(common.Url)!, topicName);
                if (kind == Kind.WebSocket && parse.GetValue(subscribeUrls) is string list)
                {
                    foreach (Uri node in SubscribeUrls.Parse(list))
                    {
                        nodes.Add(ClientOptions(parse, common, node.ToString(), topicName));
                    }
                }

                if (nodes.Count > 0 && client.Tls is not null)
                {
                    throw new FormatException("--subscribe-urls runs over plain WebSockets only: --url must be http:// or ws://.");
                }

                if (nodes.Count == 0 && kind == Kind.WebSocket && parse.GetValue(brokerPid) is not null)
                {
                    throw new FormatException("--broker-pid goes with --subscribe-urls.");
                }

                if (kind != Kind.WebSocket)
                {
                    client = client with { Deflate = false }; // HTTP receivers: permessage-deflate is a WebSocket extension
                }

                publishTo = ScenarioCommand.PlainHttp(parse, common, client.Server);
                if (client.Tls is not null && (kind != Kind.WebSocket || publishTo is null))
                {
                    throw new FormatException("over TLS only ws-broadcast runs, and its publisher needs the server's plain HTTP port (--http-port).");
                }
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"wsfast-load: {e.Message}");
                return 2;
            }

            var feed = new FeedSettings
            {
                Client = client,
                Nodes = nodes,
                PublishServer = publishTo,
                Topic = topicName,
                Rate = messagesPerSecond,
                MessageSize = messageSize,
                PollInterval = TimeSpan.FromMilliseconds(intervalMs),
                BrowserHeaders = kind != Kind.WebSocket && parse.GetValue(browserHeaders),
                Ticks = parse.GetValue(ticks),
            };
            IScenario scenario = kind switch
            {
                Kind.WebSocket => new BroadcastScenario(feed),
                Kind.EventStream => new EventStreamScenario(feed),
                Kind.LongPoll => new PollScenario(feed, longPoll: true),
                _ => new PollScenario(feed, longPoll: false),
            };
            string pollEvery = kind == Kind.ShortPoll ? string.Create(CultureInfo.InvariantCulture, $", poll every {intervalMs:0.##} ms") : "";
            string browser = (feed.BrowserHeaders ? ", browser headers" : "") + (feed.Ticks ? ", ticks" : "");
            string spread = nodes.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $", subscribers on {nodes.Count} nodes") : "";
            string settings = string.Create(CultureInfo.InvariantCulture, $"topic {topicName}, {messagesPerSecond:0.##} messages/s published, {messageSize} B{pollEvery}{browser}{spread}");
            return await ScenarioCommand.RunAsync(
                parse, common, client, scenario, settings, publishRate: messagesPerSecond, intervalMs: kind == Kind.ShortPoll ? intervalMs : null,
                nodes: nodes, brokerPid: kind == Kind.WebSocket ? parse.GetValue(brokerPid) : null);
        });
        return command;
    }

    // The server from a base URL; the client URL is the WebSocket subscription (what the report names as target).
    private static WsClientOptions ClientOptions(ParseResult parse, CommonOptions common, string text, string topic)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "ws" or "https" or "wss"))
        {
            throw new FormatException($"--url must be an http://, ws://, https:// or wss:// URL, not '{text}'.");
        }

        bool tls = url.Scheme is "https" or "wss";
        var subscription = new Uri($"{(tls ? "wss" : "ws")}://{url.Authority}/broadcast/{topic}");
        IPAddress address = IPAddress.TryParse(url.Host, out IPAddress? literal) ? literal : Dns.GetHostAddresses(url.Host).First();
        return new WsClientOptions
        {
            Url = subscription,
            Server = new IPEndPoint(address, url.Port),
            SourceAddresses = parse.GetValue(common.SourceAddresses),
            Deflate = parse.GetValue(common.Deflate),
            Tls = tls ? ScenarioCommand.TlsOptions(parse, common, subscription) : null,
        };
    }
}
