using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace WsFast.Server;

/// <summary>
/// The server's certificates as handshakes use them, chosen by the client's SNI name, and their reload: a
/// reload reads every certificate anew and swaps the whole set at once, or, if any fails, keeps the set in
/// use. A handshake in progress keeps the options it was given; old certificates are never disposed, the
/// collector frees them once no handshake holds them.
/// </summary>
internal sealed class TlsCertificates : IDisposable
{
    // Tools replacing a certificate write two files (or swap a symlink) in several steps: one reload after they
    // are done, not one per step.
    private static readonly TimeSpan WatchDelay = TimeSpan.FromMilliseconds(500);

    private static readonly List<SslApplicationProtocol> s_protocols = [SslApplicationProtocol.Http11];

    private readonly TlsOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _reloading = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private Selection _selection;
    private Timer? _debounce;

    /// <summary>Reads the certificates.</summary>
    /// <exception cref="InvalidOperationException">A certificate could not be read.</exception>
    public TlsCertificates(TlsOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _selection = Selection.Load(options);
    }

    /// <summary>For <see cref="SslStream.AuthenticateAsServerAsync(ServerOptionsSelectionCallback, object?, CancellationToken)"/>.</summary>
    public ValueTask<SslServerAuthenticationOptions> SelectAsync(SslStream stream, SslClientHelloInfo hello, object? state, CancellationToken cancellationToken) =>
        new(Volatile.Read(ref _selection).Find(hello.ServerName));

    /// <summary>Reads every certificate again; on failure throws and keeps those in use.</summary>
    /// <exception cref="InvalidOperationException">A certificate could not be read (the message says which and why).</exception>
    public void Reload()
    {
        lock (_reloading)
        {
            Volatile.Write(ref _selection, Selection.Load(_options));
        }

        Log.CertificatesReloaded(_logger);
    }

    /// <summary>Watches the folders of the certificate files and reloads after changes.</summary>
    public void StartWatching()
    {
        _debounce = new Timer(static state => ((TlsCertificates)state!).ReloadAfterChange(), this, Timeout.Infinite, Timeout.Infinite);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (TlsCertificate certificate in All(_options))
        {
            foreach (string file in certificate.Files)
            {
                folders.Add(Path.GetDirectoryName(file)!);
            }
        }

        // The whole folder, not the files' names: Kubernetes and certbot replace a certificate by swapping a
        // symlink, which changes no watched name.
        foreach (string folder in folders)
        {
            var watcher = new FileSystemWatcher(folder)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            watcher.Changed += OnChanged;
            watcher.Created += OnChanged;
            watcher.Deleted += OnChanged;
            watcher.Renamed += OnChanged;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    public void Dispose()
    {
        foreach (FileSystemWatcher watcher in _watchers)
        {
            watcher.Dispose();
        }

        _debounce?.Dispose();
    }

    private static IEnumerable<TlsCertificate> All(TlsOptions options)
    {
        yield return options.Certificate!;
        foreach (TlsCertificate certificate in options.HostCertificates.Values)
        {
            yield return certificate;
        }
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => _debounce?.Change(WatchDelay, Timeout.InfiniteTimeSpan);

    private void ReloadAfterChange()
    {
        try
        {
            Reload();
        }
        catch (InvalidOperationException e)
        {
            Log.CertificateReloadFailed(_logger, e.Message);
        }
    }

    /// <summary>One generation of certificates: every handshake option set, built once.</summary>
    private sealed class Selection
    {
        private readonly SslServerAuthenticationOptions _default;
        private readonly Dictionary<string, SslServerAuthenticationOptions> _exact = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, SslServerAuthenticationOptions> _wildcard = new(StringComparer.OrdinalIgnoreCase);

        private Selection(SslServerAuthenticationOptions fallback) => _default = fallback;

        public static Selection Load(TlsOptions options)
        {
            // A certificate named for several hosts is read once.
            var built = new Dictionary<TlsCertificate, SslServerAuthenticationOptions>(ReferenceEqualityComparer.Instance);
            var selection = new Selection(Build(options.Certificate!, options.Protocols, built));
            foreach ((string host, TlsCertificate certificate) in options.HostCertificates)
            {
                SslServerAuthenticationOptions serverOptions = Build(certificate, options.Protocols, built);
                if (host.StartsWith("*.", StringComparison.Ordinal))
                {
                    selection._wildcard[host[2..]] = serverOptions;
                }
                else
                {
                    selection._exact[host.TrimEnd('.')] = serverOptions;
                }
            }

            return selection;
        }

        public SslServerAuthenticationOptions Find(string? host)
        {
            if (string.IsNullOrEmpty(host))
            {
                return _default;
            }

            if (_exact.TryGetValue(host, out SslServerAuthenticationOptions? exact))
            {
                return exact;
            }

            int dot = host.IndexOf('.');
            return dot > 0 && _wildcard.TryGetValue(host[(dot + 1)..], out SslServerAuthenticationOptions? wildcard) ? wildcard : _default;
        }

        private static SslServerAuthenticationOptions Build(TlsCertificate certificate, SslProtocols protocols, Dictionary<TlsCertificate, SslServerAuthenticationOptions> built)
        {
            if (!built.TryGetValue(certificate, out SslServerAuthenticationOptions? options))
            {
                // One options object per certificate, shared by its handshakes: SslStream copies what it needs.
                options = new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = certificate.Load(),
                    EnabledSslProtocols = protocols,
                    ApplicationProtocols = s_protocols,
                    ClientCertificateRequired = false,
                    AllowRenegotiation = false,
                };
                built.Add(certificate, options);
            }

            return options;
        }
    }
}
