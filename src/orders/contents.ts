/**
 * What an international preservation request must state (UN Art. 42(3)(a)-(g),
 * Budapest Art. 29(2); domain.md §2). A request missing any of these goes to
 * `info_requested`; it is never silently accepted.
 */
export const ART_42_CONTENTS = {
  requestingAuthority: '(a) the authority seeking preservation',
  offence: '(b) the offence under investigation, prosecution or judicial proceeding',
  factsSummary: '(b) a brief summary of the facts',
  dataToPreserve: '(c) the stored electronic data to be preserved',
  relationToOffence: '(c) how the data relate to the offence',
  custodian: '(d) information identifying the custodian or the location of the system',
  necessity: '(e) why preservation is necessary',
  intendsMla: '(f) that a mutual legal assistance request will follow',
  confidential: '(g) whether the request must be kept confidential',
  noUserNotification: '(g) whether the user must not be notified',
} as const;

export type Art42Element = keyof typeof ART_42_CONTENTS;

/** The Art. 42 elements a request lacks (blank text, a missing answer, or no MLA intent). */
export function missingArt42Contents(
  request: Partial<Record<Art42Element, unknown>> & { systemLocation?: unknown },
) {
  const present = (value: unknown) =>
    typeof value === 'boolean' || (typeof value === 'string' && value.trim().length > 0);
  return (Object.keys(ART_42_CONTENTS) as Art42Element[]).filter((element) => {
    if (element === 'custodian') return !present(request.custodian) && !present(request.systemLocation);
    if (element === 'intendsMla') return request.intendsMla !== true;
    return !present(request[element]);
  });
}
