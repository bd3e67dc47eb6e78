using System.Text.Json;
using System.Text.Json.Serialization;

namespace WsFast.Kestrel;

/// <summary>The answer of <c>POST /publish/{topic}</c>.</summary>
public sealed record PublishResponse(string Topic, long Sequence, int Subscribers);

/// <summary>
/// The answer of <c>GET /poll/{topic}</c>. <c>oldest</c> appears only when <c>truncated</c> is true, as in
/// src/WsFast.
/// </summary>
public sealed record PollResponse(string Topic, long Last, bool Truncated, long? Oldest, IReadOnlyList<PolledMessage> Messages);

/// <summary>One message of a poll: text as a string, binary as base64.</summary>
public sealed record PolledMessage(long Sequence, string Type, string Data, DateTime Time);

/// <summary>The answer of <c>GET /healthz</c>: the keys of src/WsFast's, in its order.</summary>
/// <remarks>
/// <c>dropped</c> and <c>slowConsumerDisconnects</c> are extra (src/WsFast reports them in /metrics): a load test
/// can check that both servers delivered everything before it compares their numbers.
/// </remarks>
public sealed record HealthResponse(
    string Status,
    int Connections,
    double UptimeSeconds,
    long MessagesIn,
    long MessagesOut,
    long AllocatedBytes,
    long Dropped,
    long SlowConsumerDisconnects);

/// <summary>
/// Source-generated serializers: no reflection at run time. camelCase names (the web defaults), null members
/// left out, and the default encoder, which escapes as src/WsFast's <c>Utf8JsonWriter</c> does.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PublishResponse))]
[JsonSerializable(typeof(PollResponse))]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class AppJsonContext : JsonSerializerContext;
