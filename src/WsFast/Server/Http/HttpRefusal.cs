namespace WsFast.Server;

/// <summary>
/// A status and reason a plain HTTP request is refused with, decided from the request alone (method, path, query,
/// headers, body) before anything is served. The routes' checks return one rather than answer the connection
/// themselves, so that they are pure: unit tests and the <c>http-request-paths</c> fuzz target call them directly.
/// </summary>
/// <param name="Status">The 4xx status.</param>
/// <param name="Reason">The one-line reason sent as the body and logged.</param>
/// <param name="Header">A header the status calls for (<c>Allow</c> with 405, <c>WWW-Authenticate</c> with 401).</param>
internal readonly record struct HttpRefusal(int Status, string Reason, KeyValuePair<string, string>? Header = null)
{
    /// <summary>400 for a path's topic that is not a topic name (<see cref="TopicRegistry.NameRule"/>): every route with a topic says it alike.</summary>
    public static readonly HttpRefusal InvalidTopicName = new(400, $"invalid topic name: {TopicRegistry.NameRule}");

    /// <summary>Answers <paramref name="connection"/> with this refusal and ends it.</summary>
    public void Send(HttpConnection connection)
    {
        if (Header is { } header)
        {
            connection.Refuse(Status, Reason, header);
        }
        else
        {
            connection.Refuse(Status, Reason);
        }
    }
}
