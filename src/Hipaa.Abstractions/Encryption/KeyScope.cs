namespace Hipaa.Encryption;

/// <summary>Which values share one data-encryption key (DEK), and therefore what one key destroys when it is shredded.</summary>
public enum KeyScope
{
    /// <summary>One data key for the whole application. Fewest keys; shredding destroys everything.</summary>
    Application = 0,

    /// <summary>One data key per table and column.</summary>
    Column = 1,

    /// <summary>
    /// One data key per patient, taken from the entity's <see cref="PatientIdAttribute"/> property. Shredding a patient's key
    /// makes exactly that patient's values unreadable (right to erasure). Entities with no patient id use the column key.
    /// </summary>
    Patient = 2,
}
