namespace WsFast.Protocol.Deflate;

/// <summary>What a server is willing to agree to in a permessage-deflate negotiation.</summary>
/// <param name="ServerMaxWindowBits">The largest window the server compresses with (8 to 15).</param>
/// <param name="ClientMaxWindowBits">
/// The largest window the server asks a client to compress with (8 to 15), when the client offers
/// <c>client_max_window_bits</c> (a client that does not offer it may use 15).
/// </param>
/// <param name="ServerContextTakeover">Whether the server keeps its compressor's context between messages.</param>
/// <param name="ClientContextTakeover">Whether the server lets a client keep its context between messages.</param>
internal readonly record struct DeflatePolicy(
    int ServerMaxWindowBits,
    int ClientMaxWindowBits,
    bool ServerContextTakeover,
    bool ClientContextTakeover);
