using System.Text.Json;

namespace WsFast.Load.Server;

/// <summary>The counters of the server's <c>/healthz</c> answer.</summary>
public sealed record HealthSnapshot(long Connections, long MessagesIn, long MessagesOut, long AllocatedBytes)
{
    /// <summary>The server's managed heap as its last garbage collection left it (<c>gcHeapBytes</c>), or -1.</summary>
    public long GcHeapBytes { get; init; } = -1;

    /// <summary>Full (generation 2) collections since it started (<c>gcFullCollections</c>), or -1.</summary>
    public long FullCollections { get; init; } = -1;

    /// <summary>Its pinned object heap, where its sockets' blocks live (<c>pinnedBytes</c>), or -1.</summary>
    public long PinnedBytes { get; init; } = -1;

    /// <summary>
    /// Fetches <c>/healthz?details</c> from the server at <paramref name="baseUrl"/> (http://host:port): WsFast gives
    /// its counters only when asked (a plain <c>/healthz</c> has the status alone); the peers and WsFast builds from
    /// before that ignore the query and give them anyway.
    /// </summary>
    public static async Task<HealthSnapshot> FetchAsync(HttpClient http, Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        using HttpResponseMessage response = await http.GetAsync(new Uri(baseUrl, "/healthz?details=1")).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
    }

    /// <summary>Reads the counters from the JSON text; a missing counter reads as -1.</summary>
    public static HealthSnapshot Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        return new HealthSnapshot(Read(root, "connections"), Read(root, "messagesIn"), Read(root, "messagesOut"), Read(root, "allocatedBytes"))
        {
            GcHeapBytes = Read(root, "gcHeapBytes"),
            PinnedBytes = Read(root, "pinnedBytes"),
            FullCollections = Read(root, "gcFullCollections"),
        };
    }

    private static long Read(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.TryGetInt64(out long number) ? number : -1;
}
