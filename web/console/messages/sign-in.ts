/** The sign-in page's texts, in the console's three languages. */
export interface SignInMessages {
  title: string;
  providerButton: string;
  noSignIn: string;
  devHeading: string;
  /** Shown above the development form and, while such a session lasts, on every page. */
  devWarning: string;
  sub: string;
  agency: string;
  agencyHint: string;
  role: string;
  devSubmit: string;
  busy: string;
  /** Errors, by the code `auth.ts` throws; `failed` for any other. */
  errors: {
    access_denied: string;
    session_expired: string;
    VALIDATION_FAILED: string;
    RATE_LIMITED: string;
    failed: string;
  };
  errorCode: string;
}

export const signInMessages: { az: SignInMessages; en: SignInMessages; ru: SignInMessages } = {
  az: {
    title: 'Daxil olun',
    providerButton: 'Təşkilat hesabınızla daxil olun',
    noSignIn: 'Bu xidmət üçün giriş üsulu qurulmayıb. Administratora müraciət edin.',
    devHeading: 'Tərtibat üçün giriş',
    devWarning:
      'Tərtibat üçün giriş: yalnız yerli sınaq üçündür, tokenlər bu xidmətin özü tərəfindən buraxılır',
    sub: 'Subyekt (istifadəçi adı)',
    agency: 'Qurum kodu',
    agencyHint: 'Böyük hərflər, rəqəmlər və tire, məsələn AZ-SSS',
    role: 'Rol',
    devSubmit: 'Tərtibat üçün daxil olun',
    busy: 'Daxil olunur…',
    errors: {
      access_denied: 'Giriş provayder tərəfindən ləğv edildi və ya rədd edildi.',
      session_expired: 'Sessiyanın vaxtı bitib. Yenidən daxil olun.',
      VALIDATION_FAILED: 'Sahələri yoxlayın: subyekt, qurum kodu və rol tələb olunur.',
      RATE_LIMITED: 'Həddən artıq cəhd edildi. Bir dəqiqə sonra yenidən cəhd edin.',
      failed: 'Giriş alınmadı. Yenidən cəhd edin.',
    },
    errorCode: 'Kod',
  },
  en: {
    title: 'Sign in',
    providerButton: 'Sign in with your organisation account',
    noSignIn: 'No sign-in is configured for this service. Contact its operator.',
    devHeading: 'Development sign-in',
    devWarning: 'Development sign-in: for a local trial only, tokens minted by this service',
    sub: 'Subject (user name)',
    agency: 'Agency code',
    agencyHint: 'Capital letters, digits and dashes, such as AZ-SSS',
    role: 'Role',
    devSubmit: 'Sign in for development',
    busy: 'Signing in…',
    errors: {
      access_denied: 'The sign-in was cancelled or refused at the provider.',
      session_expired: 'Your session has expired. Sign in again.',
      VALIDATION_FAILED: 'Check the fields: a subject, an agency code and a role are needed.',
      RATE_LIMITED: 'Too many attempts. Try again in a minute.',
      failed: 'Sign-in failed. Try again.',
    },
    errorCode: 'Code',
  },
  ru: {
    title: 'Вход',
    providerButton: 'Войти через учётную запись организации',
    noSignIn: 'Для этой службы вход не настроен. Обратитесь к её администратору.',
    devHeading: 'Вход для разработки',
    devWarning: 'Вход для разработки: только для локальной пробы, токены выпускает сама эта служба',
    sub: 'Субъект (имя пользователя)',
    agency: 'Код ведомства',
    agencyHint: 'Заглавные буквы, цифры и дефисы, например AZ-SSS',
    role: 'Роль',
    devSubmit: 'Войти для разработки',
    busy: 'Выполняется вход…',
    errors: {
      access_denied: 'Вход отменён или отклонён провайдером.',
      session_expired: 'Срок сеанса истёк. Войдите снова.',
      VALIDATION_FAILED: 'Проверьте поля: нужны субъект, код ведомства и роль.',
      RATE_LIMITED: 'Слишком много попыток. Повторите через минуту.',
      failed: 'Не удалось войти. Попробуйте ещё раз.',
    },
    errorCode: 'Код',
  },
};
