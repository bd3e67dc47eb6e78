using System.Collections;
using System.Globalization;

namespace WsFast.Server;

/// <summary>
/// The logging scope of a WebSocket connection: <c>ConnectionId</c> (<see cref="WebSocketConnection.Id"/>) and
/// <c>Endpoint</c> (the endpoint's path, not the request's: no client-chosen topic). Structured for providers that
/// read scopes as key/value pairs, and <c>ConnectionId:7 Endpoint:/chat</c> for those that print them.
/// </summary>
internal sealed class ConnectionLogScope(long id, string endpoint) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly object _id = id; // boxed once per connection
    private string? _text;

    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new KeyValuePair<string, object?>("ConnectionId", _id),
        1 => new KeyValuePair<string, object?>("Endpoint", endpoint),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _text ??= string.Create(CultureInfo.InvariantCulture, $"ConnectionId:{id} Endpoint:{endpoint}");
}
