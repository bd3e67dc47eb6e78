using System.Net;
using System.Net.Security;

namespace WsFast.Transport.Tls;

/// <summary>
/// What every TLS connection of a listener shares: how the server's options (its certificate above all) are
/// chosen for a client's hello, and where a failed handshake is reported.
/// </summary>
/// <param name="selectOptions">Chooses the options for a client's hello (its SNI name); called once per handshake.</param>
/// <param name="onHandshakeFailed">
/// Told of a handshake the peer broke (garbage, an unknown protocol version, no common cipher, an alert, a
/// close before the end); not of one the server ended itself (the handshake deadline, shutdown).
/// </param>
internal sealed class TlsServerContext(ServerOptionsSelectionCallback selectOptions, Action<EndPoint?, Exception> onHandshakeFailed)
{
    public ServerOptionsSelectionCallback SelectOptions { get; } = selectOptions;

    public void OnHandshakeFailed(EndPoint? remote, Exception exception) => onHandshakeFailed(remote, exception);
}
