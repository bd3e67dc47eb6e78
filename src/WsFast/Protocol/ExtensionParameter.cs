namespace WsFast;

/// <summary>
/// One <c>name[=value]</c> parameter of an extension offer (RFC 6455 section 9.1), such as
/// <c>client_max_window_bits</c> or <c>server_max_window_bits=10</c>.
/// </summary>
/// <param name="Name">The parameter name, as sent.</param>
/// <param name="Value">The value with any quoting removed; null when the parameter has no value.</param>
public readonly record struct ExtensionParameter(string Name, string? Value);
