using Microsoft.Extensions.Options;
using WsFast.Server;

namespace WsFast.Hosting;

/// <summary>
/// Validates one server's options when the host starts (<c>ValidateOnStart</c>) with the server's own checks, so
/// that a setting out of its range stops the host before anything listens. Settings are named as configured:
/// under the configuration section's path (<c>WsFast:MaxMessageSize</c>) when the options came from one.
/// </summary>
internal sealed class WsFastOptionsValidator(string name, string sectionPath) : IValidateOptions<WsFastServerOptions>
{
    public ValidateOptionsResult Validate(string? optionsName, WsFastServerOptions options)
    {
        if ((optionsName ?? Options.DefaultName) != name)
        {
            return ValidateOptionsResult.Skip;
        }

        OptionsCheck check = sectionPath.Length == 0 ? new OptionsCheck() : new OptionsCheck(sectionPath + ":", ':');
        options.Check(check);
        return check.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(check.Problems);
    }
}
