namespace Hipaa.EfCore.Policy;

/// <summary>
/// A row of <c>hipaa_consents</c>: the current state of one consent of one patient, encrypted under the patient's data
/// key. Only keyed hashes and a revision are in the clear (<see cref="ConsentCipher"/>).
/// </summary>
internal sealed class ConsentRow
{
    /// <summary>The keyed hash of the patient id (<see cref="ConsentCipher.PatientKeyAsync"/>): finds a patient's consents.</summary>
    public required byte[] PatientKey { get; set; }

    /// <summary>The keyed hash of the patient id and the consent id (<see cref="ConsentCipher.ConsentKeyAsync"/>): finds one consent.</summary>
    public required byte[] ConsentKey { get; set; }

    /// <summary>Counts the changes of the row (0 when recorded, 1 once revoked): the compare-and-set token of a revocation.</summary>
    public long Revision { get; set; }

    /// <summary>The consent, who recorded it and when (<see cref="ConsentPayload"/>), AES-256-GCM under the patient's data key.</summary>
    public required byte[] Payload { get; set; }
}
