/**
 * README.txt, the tag file at the top of every disclosure package: what the
 * bag holds and how a partner checks it with standard tools only (coreutils,
 * unzip, any JOSE library, any RFC 6962 / C2SP implementation), in
 * Azerbaijani (Latin script), English and Russian. The commands are the same
 * in every language and work as written on a Debian machine; the texts say
 * nothing the package does not do.
 */

/** What the README says about this one package, taken from the package itself. */
export interface PackageFacts {
  /** The bag's directory, and the zip's name without `.zip`. */
  readonly bagName: string;
  readonly disclosureId: string;
  readonly recipientAgency: string;
  readonly origin: string;
  /** The log's size when the package was made: the receipts' and proofs' checkpoint. */
  readonly logSize: number;
  readonly itemCount: number;
  /** The log index of one receipt in the bag, for the example command. */
  readonly exampleIndex: number | undefined;
  /** Whether the bag carries the browser verifier (`verify.html`). */
  readonly browserVerifier: boolean;
}

/** The commands every language section shows, exactly as a partner types them. */
export function packageCommands(facts: PackageFacts): { files: string[]; receipt: string | undefined } {
  return {
    files: [
      `unzip ${facts.bagName}.zip`,
      `cd ${facts.bagName}`,
      'sha256sum -c manifest-sha256.txt',
      'sha512sum -c manifest-sha512.txt',
      'sha256sum -c tagmanifest-sha256.txt',
    ],
    receipt:
      facts.exampleIndex === undefined
        ? undefined
        : [
            "python3 -c 'import json, sys; from jwcrypto import jwk, jws;",
            't = jws.JWS(); t.deserialize(open(sys.argv[1]).read().strip()); t.allowed_algs = ["EdDSA"];',
            'keys = jwk.JWKSet.from_json(open("jwks.json").read());',
            't.verify(keys.get_key(t.jose_header["kid"]), alg="EdDSA");',
            `print(json.dumps(json.loads(t.payload), indent=2))' receipts/${facts.exampleIndex}.jws`,
          ].join(' '),
  };
}

const indent = (lines: readonly string[]) => lines.map((line) => `    ${line}`).join('\n');

/** One language's text: the file list, the checks and the graph, around the shared commands. */
type Section = (facts: PackageFacts, commands: ReturnType<typeof packageCommands>) => string;

const english: Section = (f, c) => `CUSTODY LEDGER DISCLOSURE PACKAGE (English)

This folder is a BagIt bag (RFC 8493): disclosure ${f.disclosureId} of ${f.itemCount} evidence item(s)
to ${f.recipientAgency}, from the custody log ${f.origin}, packed when the log held ${f.logSize} entries.

What is inside
  data/                          the disclosed files, byte for byte as they were taken into custody
  manifest-sha256.txt            the SHA-256 of every file under data/
  manifest-sha512.txt            the SHA-512 of every file under data/
  tagmanifest-sha256.txt         the SHA-256 of every file outside data/ but itself, README.txt included
  bagit.txt, bag-info.txt        the BagIt declaration; who packed the bag, when, for whom, the payload size
  README.txt                     this text
  reports/<item>.json            the custody report of each item (JSON)
  reports/<item>.jws             the same report signed: a compact JWS (EdDSA) whose payload is the report
  reports/<item>.pdf             the same report, for people to read
  receipts/<index>.jws           a signed receipt for each entry of each item's chain (compact JWS, RFC 7515)
  proofs/<index>.tlog-proof      that entry's inclusion proof with the signed checkpoint (C2SP tlog-proof)
  proofs/consistency-<a>-<b>.txt where present: an RFC 6962 consistency proof from tree size a to size b
  disclosures/<index>.json       where present: the withheld fields of an entry that are disclosed to you
  custody.jsonld                 the custody actions as a CASE/UCO graph (JSON-LD, https://caseontology.org)
  jwks.json                      the public keys that sign the receipts and the reports (JWKS, RFC 7517)
  log.vkey                       the public key of the log, which signs checkpoints (C2SP signed-note vkey)
  verify.html                    ${f.browserVerifier ? 'the browser verifier (step 4)' : 'not in this package yet (step 4)'}

1. Unpack the package and check every file (coreutils and unzip)
${indent(c.files)}
   Every line must end in "OK"; sha256sum and sha512sum then exit with status 0.

2. Check a receipt with any JOSE library
   Each receipts/<index>.jws is a compact JWS whose protected header is
   {"alg":"EdDSA","kid":"...","typ":"custody-receipt+jwt"}. Verify it with the Ed25519 key of jwks.json
   whose "kid" is the header's, and accept the algorithm EdDSA only.${
     c.receipt === undefined
       ? ''
       : ` For example with Python jwcrypto
   (Debian package python3-jwcrypto), which prints the payload if the signature verifies and fails if not:
${indent([c.receipt])}`
   }
   The payload holds iss (the log's origin), jti (the entry's leaf hash, base64url), entry (the log
   entry exactly as logged), index (its position in the log) and tlog_proof (as in proofs/<index>.tlog-proof).
   The package brings its own keys: compare jwks.json with the service's /.well-known/jwks.json and
   log.vkey with the vkey of its /v1/log/info, obtained another way. Keys from the package alone prove less.

3. Check the proofs with any RFC 6962 / C2SP implementation
   a. The leaf hash is SHA-256 of the byte 0x00 followed by the entry serialised with JCS (RFC 8785);
      it must equal the receipt's jti.
   b. proofs/<index>.tlog-proof is a C2SP tlog-proof (https://c2sp.org/tlog-proof): the lines
      "c2sp.org/tlog-proof@v1" and "index <N>", the inclusion proof (base64 hashes, the leaf's sibling
      first), an empty line, then the signed checkpoint. Open the checkpoint with log.vkey using a C2SP
      signed-note implementation (for example Go golang.org/x/mod/sumdb/note: NewVerifier, Open);
      its text is the origin, the tree size and the root hash.
   c. Check the inclusion proof of the leaf hash at index N against that root and size
      (RFC 6962 2.1.1, RFC 9162 2.1.3.2; for example golang.org/x/mod/sumdb/tlog CheckRecord).
   d. The receipt's iss, the checkpoint's origin and the entry's "log" must all be ${f.origin}.
   e. Each proofs/consistency-<a>-<b>.txt (one base64 hash a line) proves that the log of size a,
      on which a report rests, is a prefix of the log of size b (RFC 6962 2.1.2; tlog CheckTree):
      the checkpoint of size a is the "log.checkpoint" of that report's JSON, the one of size b the receipts'.
   f. Version 2 entries keep some fields as salted digests: each string of disclosures/<index>.json
      is the base64url of [salt, name, value], and its base64url SHA-256 must be listed in the
      entry's "_sd". What is not disclosed to you is not in this package; the reports name such fields
      as withheld, without their values.
   g. An item's chain is complete when the "seq" of its entries (subject.id is the item) run 1, 2, 3...
      without a gap and each "prev" is the leaf hash (base64) of the entry before. Its first entry,
      evidence.acquired, names the file's sha256 and size: they must match the file under data/.

4. The browser verifier, offline
   ${
     f.browserVerifier
       ? `Open verify.html from this folder in a web browser and drop the zip of this package onto it (or
   choose it with the button). It makes no network connection: everything is checked in the browser.
   Paste the log key (vkey) and the JWKS you obtained from the service another way (its /v1/log/info
   and /.well-known/jwks.json); the page then proves who signed. If you use the keys inside the package
   instead, the page proves only that the package is consistent, and shows the key IDs to compare with
   those the service publishes. Every check is shown, passed or failed, with its code.`
       : `verify.html, a verifier that runs offline in a web browser, is coming: later packages carry it
   beside this README. This package does not have it yet; the steps above check the package without it.`
   }

5. The custody graph
   custody.jsonld is JSON-LD with its context inline, so it expands without a network connection.
   Each action (case-investigation:InvestigativeAction) refers by @id to its performer (uco-identity),
   the file (uco-observable:File), the service as its instrument (uco-tool:Tool), a place
   (uco-location:Location) where one is disclosed, and the item's case-investigation:ProvenanceRecord.
   A person whose name is not disclosed to you appears as a role in an agency.
`;

const azerbaijani: Section = (f, c) => `CUSTODY LEDGER AÇIQLAMA PAKETİ (Azərbaycan dilində)

Bu qovluq BagIt çantasıdır (RFC 8493): ${f.disclosureId} nömrəli açıqlama, ${f.itemCount} sübut elementi,
alıcı: ${f.recipientAgency}, saxlama jurnalı: ${f.origin}; paket jurnalda ${f.logSize} qeyd olanda yığılıb.

İçində nə var
  data/                          açıqlanan fayllar, saxlamaya qəbul edildiyi kimi, bayt-bayt
  manifest-sha256.txt            data/ altındakı hər faylın SHA-256 cəmi
  manifest-sha512.txt            data/ altındakı hər faylın SHA-512 cəmi
  tagmanifest-sha256.txt         data/ xaricindəki hər faylın (özündən başqa) SHA-256 cəmi, README.txt də daxil
  bagit.txt, bag-info.txt        BagIt bəyannaməsi; çantanı kim, nə vaxt, kimin üçün yığıb, faydalı yükün ölçüsü
  README.txt                     bu mətn
  reports/<item>.json            hər elementin saxlama hesabatı (JSON)
  reports/<item>.jws             imzalanmış eyni hesabat: yükü hesabat olan kompakt JWS (EdDSA)
  reports/<item>.pdf             eyni hesabat, insanların oxuması üçün
  receipts/<index>.jws           hər elementin zəncirindəki hər qeyd üçün imzalı qəbz (kompakt JWS, RFC 7515)
  proofs/<index>.tlog-proof      həmin qeydin daxilolma sübutu və imzalı yoxlama nöqtəsi (C2SP tlog-proof)
  proofs/consistency-<a>-<b>.txt olduqda: a ölçülü ağacdan b ölçülü ağaca RFC 6962 uyğunluq sübutu
  disclosures/<index>.json       olduqda: qeydin gizli sahələrindən sizə açıqlananlar
  custody.jsonld                 saxlama hərəkətləri CASE/UCO qrafı kimi (JSON-LD, https://caseontology.org)
  jwks.json                      qəbzləri və hesabatları imzalayan açıq açarlar (JWKS, RFC 7517)
  log.vkey                       yoxlama nöqtələrini imzalayan jurnalın açıq açarı (C2SP signed-note vkey)
  verify.html                    ${f.browserVerifier ? 'brauzer yoxlayıcısı (addım 4)' : 'bu paketdə hələ yoxdur (addım 4)'}

1. Paketi açın və hər faylı yoxlayın (coreutils və unzip)
${indent(c.files)}
   Hər sətir "OK" ilə bitməlidir; onda sha256sum və sha512sum 0 statusu ilə bitir.

2. Qəbzi istənilən JOSE kitabxanası ilə yoxlayın
   Hər receipts/<index>.jws qorunan başlığı {"alg":"EdDSA","kid":"...","typ":"custody-receipt+jwt"}
   olan kompakt JWS-dir. Onu jwks.json-dakı "kid"-i başlıqdakı ilə eyni olan Ed25519 açarı ilə
   yoxlayın və yalnız EdDSA alqoritmini qəbul edin.${
     c.receipt === undefined
       ? ''
       : ` Məsələn, Python jwcrypto ilə (Debian paketi
   python3-jwcrypto): imza doğrudursa yükü çap edir, deyilsə xəta ilə bitir:
${indent([c.receipt])}`
   }
   Yükdə bunlar var: iss (jurnalın mənşəyi), jti (qeydin yarpaq heşi, base64url), entry (jurnal qeydi,
   yazıldığı kimi), index (jurnaldakı yeri) və tlog_proof (proofs/<index>.tlog-proof ilə eyni).
   Paket öz açarlarını özü gətirir: jwks.json-u xidmətin /.well-known/jwks.json ünvanı ilə, log.vkey-i
   isə /v1/log/info-dakı vkey ilə, başqa yolla alaraq, müqayisə edin. Yalnız paketdən gələn açarlar
   daha az sübut edir.

3. Sübutları istənilən RFC 6962 / C2SP tətbiqi ilə yoxlayın
   a. Yarpaq heşi 0x00 baytı və ardınca JCS (RFC 8785) ilə seriyalaşdırılmış qeydin SHA-256 cəmidir;
      qəbzin jti dəyəri ilə eyni olmalıdır.
   b. proofs/<index>.tlog-proof C2SP tlog-proof-dur (https://c2sp.org/tlog-proof): "c2sp.org/tlog-proof@v1"
      və "index <N>" sətirləri, daxilolma sübutu (base64 heşlər, əvvəlcə yarpağın qonşusu), boş sətir,
      sonra imzalı yoxlama nöqtəsi. Yoxlama nöqtəsini log.vkey ilə C2SP signed-note tətbiqi vasitəsilə
      açın (məsələn, Go golang.org/x/mod/sumdb/note: NewVerifier, Open); mətni mənşə, ağacın ölçüsü
      və kök heşidir.
   c. N indeksindəki yarpaq heşinin daxilolma sübutunu həmin kök və ölçüyə qarşı yoxlayın
      (RFC 6962 2.1.1, RFC 9162 2.1.3.2; məsələn, golang.org/x/mod/sumdb/tlog CheckRecord).
   d. Qəbzin iss dəyəri, yoxlama nöqtəsinin mənşəyi və qeydin "log" sahəsi ${f.origin} olmalıdır.
   e. Hər proofs/consistency-<a>-<b>.txt (hər sətirdə bir base64 heş) hesabatın əsaslandığı a ölçülü
      jurnalın b ölçülü jurnalın başlanğıcı olduğunu sübut edir (RFC 6962 2.1.2; tlog CheckTree):
      a ölçülü yoxlama nöqtəsi həmin hesabatın JSON-dakı "log.checkpoint" sahəsidir, b ölçülü isə qəbzlərinki.
   f. 2-ci versiya qeydlər bəzi sahələri duzlu heşlər kimi saxlayır: disclosures/<index>.json-dakı hər
      sətir [salt, name, value] massivinin base64url kodudur və onun base64url SHA-256 cəmi qeydin
      "_sd" siyahısında olmalıdır. Sizə açıqlanmayan bu paketdə yoxdur; hesabatlar belə sahələri
      dəyərləri olmadan gizli kimi adlandırır.
   g. Elementin zənciri tamdırsa, onun qeydlərinin (subject.id elementdir) "seq" dəyərləri 1, 2, 3...
      boşluqsuz gedir və hər "prev" əvvəlki qeydin yarpaq heşidir (base64). İlk qeyd, evidence.acquired,
      faylın sha256 cəmini və ölçüsünü göstərir: onlar data/ altındakı faylla eyni olmalıdır.

4. Brauzer yoxlayıcısı, şəbəkəsiz
   ${
     f.browserVerifier
       ? `verify.html faylını bu qovluqdan veb brauzerdə açın və bu paketin zip faylını onun üzərinə atın
   (və ya düymə ilə seçin). Səhifə heç bir şəbəkə bağlantısı qurmur: hər şey brauzerdə yoxlanılır.
   Xidmətdən başqa yolla aldığınız jurnal açarını (vkey) və JWKS-i yapışdırın (/v1/log/info və
   /.well-known/jwks.json); onda səhifə kimin imzaladığını sübut edir. Bunun əvəzinə paketin içindəki
   açarlardan istifadə etsəniz, səhifə yalnız paketin özü ilə uyğun olduğunu sübut edir və xidmətin
   dərc etdiyi açarlarla müqayisə üçün açar identifikatorlarını göstərir. Hər yoxlama, keçib-keçmədiyi
   və kodu ilə göstərilir.`
       : `verify.html, veb brauzerdə şəbəkəsiz işləyən yoxlayıcı, hazırlanır: sonrakı paketlər onu bu
   README-nin yanında daşıyacaq. Bu paketdə hələ yoxdur; yuxarıdakı addımlar paketi onsuz yoxlayır.`
   }

5. Saxlama qrafı
   custody.jsonld kontekst daxilində olan JSON-LD-dir, ona görə şəbəkəsiz genişlənir. Hər hərəkət
   (case-investigation:InvestigativeAction) @id ilə icraçısına (uco-identity), fayla (uco-observable:File),
   alət kimi xidmətə (uco-tool:Tool), açıqlandıqda yerə (uco-location:Location) və elementin
   case-investigation:ProvenanceRecord qeydinə istinad edir. Adı sizə açıqlanmayan şəxs qurumdakı
   rol kimi göstərilir.
`;

const russian: Section = (f, c) => `ПАКЕТ РАСКРЫТИЯ CUSTODY LEDGER (на русском языке)

Эта папка — пакет BagIt (RFC 8493): раскрытие ${f.disclosureId}, объектов доказательств: ${f.itemCount},
получатель: ${f.recipientAgency}, журнал хранения: ${f.origin}; пакет собран, когда в журнале было
записей: ${f.logSize}.

Что внутри
  data/                          раскрытые файлы, байт в байт такие, какими они приняты на хранение
  manifest-sha256.txt            SHA-256 каждого файла в data/
  manifest-sha512.txt            SHA-512 каждого файла в data/
  tagmanifest-sha256.txt         SHA-256 каждого файла вне data/, кроме самого себя, включая README.txt
  bagit.txt, bag-info.txt        декларация BagIt; кто, когда и для кого собрал пакет, размер данных
  README.txt                     этот текст
  reports/<item>.json            отчёт о хранении каждого объекта (JSON)
  reports/<item>.jws             тот же отчёт с подписью: компактный JWS (EdDSA), полезная нагрузка — отчёт
  reports/<item>.pdf             тот же отчёт для чтения людьми
  receipts/<index>.jws           подписанная квитанция на каждую запись цепочки каждого объекта (компактный JWS, RFC 7515)
  proofs/<index>.tlog-proof      доказательство включения этой записи с подписанной контрольной точкой (C2SP tlog-proof)
  proofs/consistency-<a>-<b>.txt если есть: доказательство согласованности RFC 6962 от размера дерева a до b
  disclosures/<index>.json       если есть: скрытые поля записи, раскрытые вам
  custody.jsonld                 действия по хранению как граф CASE/UCO (JSON-LD, https://caseontology.org)
  jwks.json                      открытые ключи, которыми подписаны квитанции и отчёты (JWKS, RFC 7517)
  log.vkey                       открытый ключ журнала, которым подписаны контрольные точки (C2SP signed-note vkey)
  verify.html                    ${f.browserVerifier ? 'проверка в браузере (шаг 4)' : 'в этом пакете пока нет (шаг 4)'}

1. Распакуйте пакет и проверьте каждый файл (coreutils и unzip)
${indent(c.files)}
   Каждая строка должна оканчиваться на "OK"; тогда sha256sum и sha512sum завершаются с кодом 0.

2. Проверьте квитанцию любой библиотекой JOSE
   Каждый receipts/<index>.jws — компактный JWS с защищённым заголовком
   {"alg":"EdDSA","kid":"...","typ":"custody-receipt+jwt"}. Проверьте его ключом Ed25519 из jwks.json,
   чей "kid" совпадает с указанным в заголовке, и допускайте только алгоритм EdDSA.${
     c.receipt === undefined
       ? ''
       : ` Например, с помощью
   Python jwcrypto (пакет Debian python3-jwcrypto): команда печатает полезную нагрузку, если подпись
   верна, и завершается ошибкой, если нет:
${indent([c.receipt])}`
   }
   В полезной нагрузке: iss (источник журнала), jti (хеш листа записи, base64url), entry (запись журнала
   в точности как записана), index (её место в журнале) и tlog_proof (как в proofs/<index>.tlog-proof).
   Пакет приносит свои ключи сам: сравните jwks.json с /.well-known/jwks.json сервиса, а log.vkey —
   с vkey из /v1/log/info, полученными другим путём. Ключи только из пакета доказывают меньше.

3. Проверьте доказательства любой реализацией RFC 6962 / C2SP
   a. Хеш листа — SHA-256 от байта 0x00, за которым следует запись, сериализованная по JCS (RFC 8785);
      он должен совпадать с jti квитанции.
   b. proofs/<index>.tlog-proof — это C2SP tlog-proof (https://c2sp.org/tlog-proof): строки
      "c2sp.org/tlog-proof@v1" и "index <N>", доказательство включения (хеши base64, сначала сосед
      листа), пустая строка, затем подписанная контрольная точка. Откройте контрольную точку ключом
      log.vkey с помощью реализации C2SP signed-note (например, Go golang.org/x/mod/sumdb/note:
      NewVerifier, Open); её текст — источник, размер дерева и корневой хеш.
   c. Проверьте доказательство включения хеша листа с индексом N относительно этого корня и размера
      (RFC 6962 2.1.1, RFC 9162 2.1.3.2; например, golang.org/x/mod/sumdb/tlog CheckRecord).
   d. iss квитанции, источник контрольной точки и поле "log" записи должны быть равны ${f.origin}.
   e. Каждый proofs/consistency-<a>-<b>.txt (по одному хешу base64 в строке) доказывает, что журнал
      размера a, на котором основан отчёт, является началом журнала размера b (RFC 6962 2.1.2;
      tlog CheckTree): контрольная точка размера a — поле "log.checkpoint" в JSON этого отчёта,
      размера b — контрольная точка квитанций.
   f. Записи версии 2 хранят часть полей как хеши с солью: каждая строка disclosures/<index>.json —
      base64url массива [salt, name, value], и её SHA-256 в base64url должен быть в списке "_sd"
      записи. Того, что вам не раскрыто, в пакете нет; отчёты называют такие поля скрытыми, без значений.
   g. Цепочка объекта полна, если "seq" его записей (subject.id — это объект) идут 1, 2, 3... без
      пропусков и каждый "prev" равен хешу листа (base64) предыдущей записи. Первая запись,
      evidence.acquired, называет sha256 и размер файла: они должны совпадать с файлом в data/.

4. Проверка в браузере, без сети
   ${
     f.browserVerifier
       ? `Откройте verify.html из этой папки в веб-браузере и перетащите на него zip-файл этого пакета
   (или выберите его кнопкой). Страница не устанавливает никаких сетевых соединений: всё проверяется
   в браузере. Вставьте ключ журнала (vkey) и JWKS, полученные от сервиса другим путём (его
   /v1/log/info и /.well-known/jwks.json); тогда страница доказывает, кто подписал. Если вместо этого
   использовать ключи из пакета, страница доказывает лишь согласованность пакета и показывает
   идентификаторы ключей для сравнения с опубликованными сервисом. Каждая проверка показана —
   пройдена или нет — с её кодом.`
       : `verify.html, проверка в веб-браузере без сети, готовится: следующие пакеты будут содержать его
   рядом с этим README. В этом пакете его пока нет; шаги выше проверяют пакет без него.`
   }

5. Граф хранения
   custody.jsonld — JSON-LD со встроенным контекстом, поэтому он разворачивается без сети. Каждое
   действие (case-investigation:InvestigativeAction) ссылается через @id на исполнителя (uco-identity),
   файл (uco-observable:File), сервис как инструмент (uco-tool:Tool), место (uco-location:Location),
   если оно раскрыто, и на case-investigation:ProvenanceRecord объекта. Лицо, чьё имя вам не раскрыто,
   показано как роль в ведомстве.
`;

/** The README in the three languages, one after the other, each complete on its own. */
export function packageReadme(facts: PackageFacts): string {
  const commands = packageCommands(facts);
  const rule = `${'='.repeat(72)}\n`;
  return [
    `Azərbaycanca: bölmə 1 / English: section 2 / Русский: раздел 3\n`,
    azerbaijani(facts, commands),
    english(facts, commands),
    russian(facts, commands),
  ].join(rule);
}
