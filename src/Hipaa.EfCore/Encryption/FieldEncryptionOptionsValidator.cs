using Hipaa.Encryption;
using Microsoft.Extensions.Options;

namespace Hipaa.EfCore.Encryption;

/// <summary>Validates <see cref="FieldEncryptionOptions"/> at start-up, listing every problem and the value it saw.</summary>
internal sealed class FieldEncryptionOptionsValidator : IValidateOptions<FieldEncryptionOptions>
{
    public ValidateOptionsResult Validate(string? name, FieldEncryptionOptions options)
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(options.KeyScope))
        {
            problems.Add($"KeyScope is {(int)options.KeyScope}, which is not a KeyScope; use Application, Column or Patient.");
        }

        if (options.KeyCacheLifetime <= TimeSpan.Zero || options.KeyCacheLifetime > TimeSpan.FromHours(24))
        {
            problems.Add($"KeyCacheLifetime is {options.KeyCacheLifetime}; it must be more than zero and at most 24 hours (it bounds how long a shredded key stays usable on other instances).");
        }

        if (options.KeyStateRecheckInterval <= TimeSpan.Zero || options.KeyStateRecheckInterval > TimeSpan.FromHours(1))
        {
            problems.Add($"KeyStateRecheckInterval is {options.KeyStateRecheckInterval}; it must be more than zero and at most one hour (it bounds how long a shredded key can still be written with on other instances).");
        }

        if (options.RootKeyPin is { } pin && !RootKeyAuthenticator.TryParsePin(pin, out _))
        {
            problems.Add($"RootKeyPin is '{pin}', which is not a pin; use the value FieldEncryptionKeyManager.GetRootKeyPinAsync returns ('{{id}}:{{32 hex digits}}'), or leave it unset.");
        }

        if (options.KeyCacheCapacity < 16)
        {
            problems.Add($"KeyCacheCapacity is {options.KeyCacheCapacity}; it must be at least 16.");
        }

        if (!Enum.IsDefined(options.ShreddedValues))
        {
            problems.Add($"ShreddedValues is {(int)options.ShreddedValues}, which is not a ShreddedValueHandling; use Throw or ReturnNull.");
        }

        const CiphertextFormatVersions known = CiphertextFormatVersions.Version1 | CiphertextFormatVersions.Version2;
        if ((options.AcceptedCiphertextFormats & ~known) != 0 || !options.AcceptedCiphertextFormats.HasFlag(CiphertextFormatVersions.Version2))
        {
            problems.Add($"AcceptedCiphertextFormats is {(int)options.AcceptedCiphertextFormats} ({options.AcceptedCiphertextFormats}); it must include Version2, the format every write produces, and name no other version than Version1 and Version2. Use Version1 | Version2 (the default) while format 1 values may remain, Version2 once ReencryptAsync has rewritten them.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
