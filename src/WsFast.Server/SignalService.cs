using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WsFast.ServerApp;

/// <summary>
/// SIGHUP re-reads the TLS certificates (a renewal; the files are also watched); without TLS it keeps its default
/// meaning. SIGINT stops the host as SIGTERM does, also under systemd, whose lifetime only listens for SIGTERM.
/// </summary>
internal sealed class SignalService(ServedEndpoints served, IHostApplicationLifetime lifetime, ILogger<SignalService> log) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _hangUp;
    private PosixSignalRegistration? _interrupt;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            lifetime.StopApplication();
        });
        if (served.Server?.Options.Tls is not null)
        {
            _hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangUp);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _hangUp?.Dispose();
        _interrupt?.Dispose();
    }

    private void OnHangUp(PosixSignalContext context)
    {
        context.Cancel = true;
        AppLog.ReloadingCertificates(log);
        try
        {
            served.Server!.ReloadCertificates();
        }
        catch (InvalidOperationException)
        {
            // Logged by the server; the certificates in use stay.
        }
    }
}
