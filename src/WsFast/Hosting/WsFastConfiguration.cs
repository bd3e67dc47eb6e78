using System.Net;
using Microsoft.Extensions.Configuration;

namespace WsFast.Hosting;

/// <summary>
/// Reads <see cref="WsFastServerOptions"/> from configuration (an <c>appsettings.json</c> section, <c>WsFast__...</c>
/// environment variables, command-line keys): the configuration binder for every setting it can convert, and the
/// settings whose types it cannot, read here from strings.
/// </summary>
/// <remarks>
/// <para>Read here: <c>Urls</c> (a list, or one string separated by <c>;</c> as Kestrel's), <c>Endpoints</c> and
/// <c>Tls:Endpoints</c> (<c>127.0.0.1:8080</c>, <c>[::1]:8080</c>), <c>TrustedProxies</c> (<c>10.0.0.0/8</c>, or an
/// address), <c>Tls:Certificate</c> and <c>Tls:HostCertificates:{host}</c> (<c>Path</c>, <c>KeyPath</c>,
/// <c>Password</c>), and <c>PerMessageDeflate</c>, which is on when its section is present (even empty) or set to
/// <c>true</c>.</para>
/// <para>A value that cannot be read is not thrown at once: it is recorded on the options, and the options'
/// validation lists it with the others, so that the host fails to start with every problem at once.</para>
/// </remarks>
internal static class WsFastConfiguration
{
    // Settings the binder cannot convert from strings (IPEndPoint, IPNetwork, TlsCertificate), or that mean more
    // than their binding (a deflate section turns deflate on).
    private static readonly string[] ReadHere =
    [
        nameof(WsFastServerOptions.Urls),
        nameof(WsFastServerOptions.Endpoints),
        nameof(WsFastServerOptions.AdminEndpoints),
        nameof(WsFastServerOptions.TrustedProxies),
        $"{nameof(WsFastServerOptions.Tls)}:{nameof(TlsOptions.Endpoints)}",
        $"{nameof(WsFastServerOptions.Tls)}:{nameof(TlsOptions.Certificate)}",
        $"{nameof(WsFastServerOptions.Tls)}:{nameof(TlsOptions.HostCertificates)}",
    ];

    public static void Bind(IConfiguration configuration, WsFastServerOptions options)
    {
        string root = configuration is IConfigurationSection section ? section.Path : "";
        List<string> problems = options.ConfigurationProblems;

        // The binder sees a copy of the section without the settings read here, under the same paths, so that its
        // messages name a setting as it is written.
        var bindable = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        bool? deflate = null;
        foreach ((string key, string? value) in configuration.AsEnumerable())
        {
            string relative = root.Length == 0 ? key : key.Length > root.Length ? key[(root.Length + 1)..] : "";
            if (relative.Equals(nameof(WsFastServerOptions.PerMessageDeflate), StringComparison.OrdinalIgnoreCase))
            {
                // The section itself: present (a section's own value is null, an empty object's too), true or false.
                if (string.IsNullOrEmpty(value) || bool.TryParse(value, out bool on) && on)
                {
                    deflate ??= true;
                }
                else if (bool.TryParse(value, out _))
                {
                    deflate = false;
                }
                else
                {
                    problems.Add($"{key} '{value}' is neither a section of settings nor true or false.");
                }

                continue;
            }

            if (relative.Length > 0 && !IsReadHere(relative))
            {
                bindable[key] = value;
            }
        }

        if (deflate == true)
        {
            options.PerMessageDeflate ??= new PerMessageDeflateOptions();
        }
        else if (deflate == false)
        {
            // Off wins over any of its settings from another layer (WsFast__PerMessageDeflate=false beside a file's
            // PerMessageDeflate:CompressionLevel): the binder would otherwise make the options again for them.
            options.PerMessageDeflate = null;
            string prefix = (root.Length == 0 ? "" : root + ":") + nameof(WsFastServerOptions.PerMessageDeflate) + ":";
            foreach (string key in bindable.Keys.Where(key => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList())
            {
                bindable.Remove(key);
            }
        }

        IConfiguration copy = new ConfigurationBuilder().AddInMemoryCollection(bindable).Build();
        try
        {
            (root.Length == 0 ? copy : copy.GetSection(root)).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder stops at the first value it cannot convert; its message names the setting and the type.
            problems.Add(e.Message);
        }

        ReadUrls(configuration.GetSection(nameof(WsFastServerOptions.Urls)), options.Urls);
        ReadEndPoints(configuration.GetSection(nameof(WsFastServerOptions.Endpoints)), options.Endpoints, problems);
        ReadEndPoints(configuration.GetSection(nameof(WsFastServerOptions.AdminEndpoints)), options.AdminEndpoints, problems);
        foreach (IConfigurationSection item in configuration.GetSection(nameof(WsFastServerOptions.TrustedProxies)).GetChildren())
        {
            if (ParseNetwork(item.Value) is { } network)
            {
                options.TrustedProxies.Add(network);
            }
            else
            {
                problems.Add($"{item.Path} '{item.Value}' is neither an IP address nor a network such as 10.0.0.0/8 or fd00::/8.");
            }
        }

        ReadTls(configuration.GetSection(nameof(WsFastServerOptions.Tls)), options, problems);
    }

    private static void ReadTls(IConfigurationSection tls, WsFastServerOptions options, List<string> problems)
    {
        IConfigurationSection endpoints = tls.GetSection(nameof(TlsOptions.Endpoints));
        IConfigurationSection certificate = tls.GetSection(nameof(TlsOptions.Certificate));
        IConfigurationSection hosts = tls.GetSection(nameof(TlsOptions.HostCertificates));
        if (!endpoints.Exists() && !certificate.Exists() && !hosts.Exists())
        {
            return;
        }

        options.Tls ??= new TlsOptions();
        ReadEndPoints(endpoints, options.Tls.Endpoints, problems);
        if (certificate.Exists())
        {
            options.Tls.Certificate = ReadCertificate(certificate, problems) ?? options.Tls.Certificate;
        }

        foreach (IConfigurationSection host in hosts.GetChildren())
        {
            if (ReadCertificate(host, problems) is { } read)
            {
                options.Tls.HostCertificates[host.Key] = read;
            }
        }
    }

    /// <summary>
    /// <c>Path</c>: a PFX (<c>.pfx</c>, <c>.p12</c>) with its <c>Password</c> if any, or a PEM certificate followed
    /// by its chain, with its key in <c>KeyPath</c> or in the same file (encrypted with <c>Password</c> if given).
    /// </summary>
    private static TlsCertificate? ReadCertificate(IConfigurationSection section, List<string> problems)
    {
        string? path = section["Path"];
        string? keyPath = section["KeyPath"];
        string? password = section["Password"];
        if (string.IsNullOrWhiteSpace(path))
        {
            problems.Add($"{section.Path}:Path is required: a PEM certificate file (its key in KeyPath or in the same file) or a PFX file.");
            return null;
        }

        bool pfx = path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
        if (pfx && keyPath is not null)
        {
            problems.Add($"{section.Path}:KeyPath is for PEM certificates: a PFX file ({path}) holds its key.");
            return null;
        }

        return pfx ? TlsCertificate.FromPfxFile(path, password) : TlsCertificate.FromPemFiles(path, keyPath, password);
    }

    private static void ReadUrls(IConfigurationSection section, List<string> urls)
    {
        // One string as ASPNETCORE_URLS writes it ("http://*:80;https://*:443"), or a list.
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            urls.AddRange(section.Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        foreach (IConfigurationSection item in section.GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(item.Value))
            {
                urls.Add(item.Value.Trim());
            }
        }
    }

    private static void ReadEndPoints(IConfigurationSection section, List<IPEndPoint> endpoints, List<string> problems)
    {
        foreach (IConfigurationSection item in section.GetChildren())
        {
            if (IPEndPoint.TryParse(item.Value ?? "", out IPEndPoint? endpoint) && item.Value!.Contains(':', StringComparison.Ordinal))
            {
                endpoints.Add(endpoint);
            }
            else
            {
                problems.Add($"{item.Path} '{item.Value}' is not an address and port such as 127.0.0.1:8080 or [::1]:8080.");
            }
        }
    }

    /// <summary>A network such as 10.0.0.0/8, or one address; null when neither, or when bits are set after the prefix (a typo either way).</summary>
    internal static IPNetwork? ParseNetwork(string? text)
    {
        text = text?.Trim() ?? "";
        int slash = text.IndexOf('/');
        if (slash < 0)
        {
            return IPAddress.TryParse(text, out IPAddress? address) ? new IPNetwork(address, address.GetAddressBytes().Length * 8) : null;
        }

        return IPNetwork.TryParse(text, out IPNetwork network)
            && IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? written) && written.Equals(network.BaseAddress)
            ? network
            : null;
    }

    private static bool IsReadHere(string relative)
    {
        foreach (string setting in ReadHere)
        {
            if (Is(relative, setting))
            {
                return true;
            }
        }

        return false;
    }

    // Whether a key is the setting or a key under it.
    private static bool Is(string relative, string setting) =>
        relative.StartsWith(setting, StringComparison.OrdinalIgnoreCase)
        && (relative.Length == setting.Length || relative[setting.Length] == ':');
}
