namespace Hipaa.Cli.Breach;

/// <summary>What was compromised.</summary>
internal enum BreachTargetKind
{
    /// <summary>A user account (<c>--user</c>): everything it read through the application was decrypted for it.</summary>
    User,

    /// <summary>A key of the key table (<c>--key</c>): what is encrypted under it is exposed to whoever also has the ciphertext.</summary>
    Key,

    /// <summary>A time window (<c>--from</c>/<c>--to</c>): a dump or an intrusion; records accessed in it, plaintext vs encrypted.</summary>
    Window,
}
