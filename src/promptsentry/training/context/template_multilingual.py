"""Multilingual prompts of the template source (issue 21): our own prompts, written in eight
languages for the six locks (not word-for-word translations of any dataset row).

``PROMPTS[lang][label]`` holds five prompts: the first three go to the ``train`` pool, the
last two to the ``dev`` pool (different prompts, never trained on).
"""

from __future__ import annotations

__all__ = ["DEV_FROM", "EXTRA_TRAIN", "EXTRA_TRAIN_CREATIVE", "EXTRA_TRAIN_LOCKS", "EXTRA_TRAIN_ZH",
           "PROMPTS"]

#: prompts at this index and after are the dev pool
DEV_FROM = 3

PROMPTS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "code": (
            "Escribe una función en Python que elimine los duplicados de una lista sin cambiar el orden.",
            "Mi consulta SQL tarda muchísimo: SELECT * FROM pedidos WHERE fecha > '2024-01-01'. ¿Cómo la optimizo?",
            "¿Por qué este código de JavaScript devuelve undefined? function suma(a, b) { a + b }",
            "Necesito un script de bash que comprima todos los archivos .log de más de 7 días.",
            "Revisa esta clase de Java y dime qué problemas de diseño tiene.",
        ),
        "creative": (
            "Escribe un cuento corto sobre un faro que se enamora de un barco.",
            "Un poema sobre la lluvia en Madrid, en versos libres.",
            "Despiertas y descubres que todos los relojes del mundo se han detenido menos el tuyo.",
            "Escribe el guion de una escena entre dos hermanos que no se hablan desde hace diez años.",
            "Cuéntame una historia de fantasía en la que un dragón tiene miedo al fuego.",
        ),
        "data_analysis": (
            "Analiza la evolución de las ventas por región en los últimos cuatro trimestres.",
            "¿Qué equipo de soporte tarda más en resolver los tickets?",
            "Tengo un CSV con edad, ingresos y gasto mensual. ¿Hay correlación entre ingresos y gasto?",
            "Haz un gráfico de la tasa de abandono de clientes por mes y explica la tendencia.",
            "Compara el ticket medio entre tiendas físicas y la web durante 2023.",
        ),
        "research": (
            "¿Reduce la metformina la mortalidad en pacientes con insuficiencia cardíaca? Busca estudios.",
            "Haz una revisión de la literatura sobre el impacto del teletrabajo en la productividad, con citas.",
            "Analiza el panorama competitivo del mercado de bicicletas eléctricas en España.",
            "¿Qué evidencia científica hay sobre la eficacia de la acupuntura para el dolor lumbar?",
            "Investiga el tamaño del mercado de la energía solar residencial en México y sus principales actores.",
        ),
        "image_video": (
            "Un gato naranja durmiendo sobre un piano antiguo, luz cálida, fotografía realista",
            "Ilustración en acuarela de un pueblo blanco andaluz al atardecer",
            "Vídeo de un dron sobrevolando un bosque de niebla, cinematográfico, 4K",
            "Retrato de una anciana pescadora, estilo óleo, alto detalle",
            "Una ciudad futurista bajo la lluvia, neones, arte digital",
        ),
        "general": (
            "¿Cuál es la capital de Australia?",
            "Dame ideas para la cena de esta noche con lo que tengo: huevos, patatas y cebolla.",
            "¿Cómo le digo a mi jefe que necesito unos días libres?",
            "¿Qué puedo visitar en Lisboa en un fin de semana?",
            "Explícame de forma sencilla cómo funciona una hipoteca.",
        ),
    },
    "fr": {
        "code": (
            "Écris une fonction Python qui vérifie si une chaîne est un palindrome.",
            "Mon programme C plante avec une erreur de segmentation, voici le code : int *p; *p = 5;",
            "Comment faire une jointure entre deux tables en SQL pour récupérer les clients sans commande ?",
            "Explique-moi ce que fait cette expression régulière : ^[a-z0-9._%+-]+@[a-z0-9.-]+$",
            "Corrige le bug dans ma boucle : for i in range(len(liste)): liste.remove(liste[i])",
        ),
        "creative": (
            "Écris une nouvelle sur un facteur qui livre des lettres du futur.",
            "Un poème en alexandrins sur la mer en hiver.",
            "Tu es le dernier humain sur une station spatiale et l'ordinateur de bord commence à te mentir.",
            "Rédige un monologue de théâtre pour une reine qui abdique.",
            "Imagine un conte pour enfants où la lune perd ses lunettes.",
        ),
        "data_analysis": (
            "Analyse l'évolution du chiffre d'affaires par produit sur les douze derniers mois.",
            "Quelle agence a le taux de satisfaction client le plus bas, et pourquoi ?",
            "Montre-moi la tendance du nombre d'inscriptions par canal d'acquisition.",
            "Calcule la moyenne et l'écart-type des délais de livraison par transporteur et commente.",
            "Y a-t-il une saisonnalité dans les ventes de glaces de notre jeu de données ?",
        ),
        "research": (
            "Existe-t-il des preuves que la vitamine D réduit le risque d'infections respiratoires chez les personnes âgées ?",
            "Fais une étude de marché sur les assurances pour animaux de compagnie en France.",
            "Rédige une revue de littérature sur les effets des réseaux sociaux sur la santé mentale des adolescents.",
            "L'exercice physique ralentit-il le déclin cognitif chez les patients atteints de la maladie d'Alzheimer ?",
            "Quels sont les principaux concurrents dans le secteur du covoiturage en Europe ? Analyse détaillée avec sources.",
        ),
        "image_video": (
            "Un renard roux dans la neige, photographie animalière, téléobjectif",
            "Paris sous la pluie la nuit, style impressionniste, reflets sur les pavés",
            "Une vidéo au ralenti d'une goutte d'eau tombant dans un verre de lait",
            "Château médiéval sur une falaise, brume matinale, art conceptuel",
            "Portrait d'un vieux marin, lumière dramatique, noir et blanc",
        ),
        "general": (
            "Quelle heure est-il à Tokyo quand il est midi à Paris ?",
            "Peux-tu me donner une recette simple de crêpes ?",
            "Comment puis-je mieux dormir la nuit ?",
            "Je cherche un cadeau pour l'anniversaire de ma mère, des idées ?",
            "Quelle est la différence entre un rhume et une grippe ?",
        ),
    },
    "de": {
        "code": (
            "Schreib eine Python-Funktion, die die Fibonacci-Zahlen bis n berechnet.",
            "Warum bekomme ich in meinem React-Code den Fehler 'Cannot read properties of undefined'?",
            "Wie schreibe ich eine SQL-Abfrage, die die fünf umsatzstärksten Kunden liefert?",
            "Erkläre mir, was dieses Shell-Skript macht: find . -name '*.tmp' -delete",
            "Refaktoriere diese Methode, sie ist viel zu lang und schwer zu testen.",
        ),
        "creative": (
            "Schreib eine Kurzgeschichte über einen Uhrmacher, der die Zeit anhalten kann.",
            "Ein Gedicht über den Herbst im Schwarzwald, bitte mit Reimen.",
            "Du erbst ein altes Haus, und im Keller wartet jemand seit hundert Jahren auf dich.",
            "Schreib eine Fabel, in der ein Fuchs und ein Igel gemeinsam einen Winter überstehen müssen.",
            "Erzähl eine Geschichte aus der Sicht eines Koffers, der am Flughafen vergessen wurde.",
        ),
        "data_analysis": (
            "Analysiere die Entwicklung der Kündigungsrate nach Tarif über die letzten sechs Monate.",
            "Welches Lager hat die längsten Durchlaufzeiten?",
            "Erstelle ein Diagramm der monatlichen Umsätze nach Region und beschreibe die Trends.",
            "Gibt es einen signifikanten Unterschied in der Konversionsrate zwischen mobilen und Desktop-Nutzern?",
            "Werte die Umfrageergebnisse aus und zeig mir, welche Altersgruppe am zufriedensten ist.",
        ),
        "research": (
            "Senkt eine Statintherapie das Schlaganfallrisiko bei Patienten mit Vorhofflimmern?",
            "Erstelle eine Marktanalyse für Wärmepumpen in Deutschland mit den wichtigsten Wettbewerbern.",
            "Welche wissenschaftlichen Belege gibt es für die Wirksamkeit von Homöopathie?",
            "Fasse den Forschungsstand zu Mikroplastik im Trinkwasser zusammen, mit Quellenangaben.",
            "Wie groß ist der Markt für E-Learning in Österreich, und wer sind die führenden Anbieter?",
        ),
        "image_video": (
            "Ein Leuchtturm im Sturm, Ölgemälde, dramatischer Himmel",
            "Ein kleiner Roboter gießt Blumen auf einem Balkon, Pixar-Stil, 3D-Rendering",
            "Zeitraffervideo einer Großstadt von der Dämmerung bis zur Nacht",
            "Alpenpanorama mit Kühen auf der Weide, Postkartenfoto, Sommer",
            "Eine Eule mit Brille liest ein Buch, digitale Illustration",
        ),
        "general": (
            "Wie lange muss ein Ei kochen, damit es wachsweich ist?",
            "Kannst du mir helfen, eine höfliche Absage für eine Einladung zu formulieren?",
            "Was sollte ich bei meinem ersten Besuch in Berlin unbedingt sehen?",
            "Wie viele Einwohner hat die Schweiz?",
            "Hast du Tipps, wie ich mich morgens besser motivieren kann?",
        ),
    },
    "pt": {
        "code": (
            "Escreva uma função em Python que conte quantas vezes cada palavra aparece num texto.",
            "Meu código em Java dá NullPointerException nesta linha: String nome = usuario.getNome();",
            "Como faço uma query SQL que agrupa as vendas por mês?",
            "Crie uma API REST simples em Node.js com Express para cadastrar produtos.",
            "O que está errado neste código? if (x = 10) { console.log('dez'); }",
        ),
        "creative": (
            "Escreva um conto sobre uma menina que encontra uma porta secreta no fundo do mar.",
            "Um poema sobre saudade e o cheiro de café da avó.",
            "Todos os dias você recebe uma mensagem de um número desconhecido que prevê o futuro.",
            "Escreva a letra de um samba sobre o fim de um amor de verão.",
            "Crie uma história de ficção científica em que as árvores começam a andar.",
        ),
        "data_analysis": (
            "Analise a tendência do tempo médio de atendimento por equipe nos últimos três meses.",
            "Qual loja teve a maior queda nas vendas em 2023?",
            "Tenho uma planilha com notas dos alunos. Qual a média e a mediana por turma?",
            "Mostre a evolução da taxa de cancelamento por plano e explique os picos.",
            "Quais variáveis mais influenciam o valor do frete no nosso conjunto de dados?",
        ),
        "research": (
            "A suplementação de ferro melhora o desempenho cognitivo em crianças com anemia?",
            "Faça uma análise do mercado de fintechs no Brasil: tamanho, crescimento e concorrentes.",
            "Quais são as evidências sobre o uso de cannabis medicinal para epilepsia? Cite estudos.",
            "O exercício aeróbico reduz a pressão arterial em idosos hipertensos?",
            "Pesquise a estratégia de entrada de uma rede de cafeterias no mercado português.",
        ),
        "image_video": (
            "Praia tropical ao pôr do sol, coqueiros, fotografia profissional",
            "Uma onça-pintada na floresta amazônica, estilo pintura digital",
            "Vídeo de ondas quebrando em câmera lenta, luz dourada",
            "Rua do Rio de Janeiro em estilo aquarela, cores vivas",
            "Astronauta a andar de bicicleta na lua, ilustração surrealista",
        ),
        "general": (
            "Qual é a melhor época para visitar o Nordeste?",
            "Como faço para tirar mancha de vinho de uma camisa branca?",
            "Me ajuda a escrever uma mensagem de aniversário para um amigo?",
            "Quanto tempo leva para ir de Lisboa ao Porto de comboio?",
            "Qual é a diferença entre poupança e CDB?",
        ),
    },
    "it": {
        "code": (
            "Scrivi una funzione Python che legga un file CSV e restituisca la somma di una colonna.",
            "Perché la mia query SQL restituisce righe duplicate quando uso il JOIN?",
            "Spiegami come funzionano le promise in JavaScript con un esempio.",
            "Scrivi uno script bash che faccia il backup della cartella home ogni notte.",
            "Questo codice Python va in errore con IndexError, puoi correggerlo?",
        ),
        "creative": (
            "Scrivi un racconto breve su un gondoliere che sogna di vedere il mare aperto.",
            "Una poesia sulla nostalgia di casa, in rima.",
            "Ti svegli in una Roma dove l'impero romano non è mai caduto.",
            "Scrivi un dialogo comico tra un cuoco e un critico gastronomico.",
            "Inventa una fiaba con un orso che vuole diventare ballerino.",
        ),
        "data_analysis": (
            "Analizza l'andamento delle vendite per categoria negli ultimi otto trimestri.",
            "Quale reparto ha il tasso di assenteismo più alto?",
            "Crea un grafico della soddisfazione dei clienti per regione e commenta le differenze.",
            "C'è una correlazione tra la spesa pubblicitaria e le vendite nel nostro dataset?",
            "Mostrami la distribuzione dei tempi di consegna per corriere.",
        ),
        "research": (
            "La dieta mediterranea riduce il rischio di infarto nei pazienti diabetici?",
            "Analizza il panorama competitivo del mercato del vino biologico in Italia.",
            "Scrivi una rassegna della letteratura scientifica sugli effetti del caffè sul sonno.",
            "Quali prove esistono che la musicoterapia migliori la qualità della vita nei pazienti con demenza?",
            "Valuta le dimensioni e le prospettive di crescita del mercato dei monopattini elettrici in Europa.",
        ),
        "image_video": (
            "Un vicolo di Napoli con panni stesi, fotografia in bianco e nero",
            "Natura morta con limoni e ceramiche, stile pittura rinascimentale",
            "Video di un treno che attraversa le colline toscane all'alba",
            "Un cavaliere con armatura dorata, arte fantasy, illuminazione epica",
            "Gattino che gioca con un gomitolo di lana, foto macro",
        ),
        "general": (
            "Che tempo fa di solito a Milano in ottobre?",
            "Come posso imparare l'inglese più velocemente?",
            "Consigliami un buon libro da leggere in vacanza.",
            "Quanti giorni di ferie spettano per legge in Italia?",
            "Come si prepara una vera carbonara?",
        ),
    },
    "zh": {
        "code": (
            "用 Python 写一个函数，判断一个数是不是质数。",
            "我的 SQL 查询很慢，怎么给订单表加索引？",
            "这段 C++ 代码为什么会内存泄漏？请帮我修复。",
            "帮我写一个 Shell 脚本，批量重命名文件夹里的图片。",
            "解释一下这段 Go 代码里 goroutine 和 channel 的用法。",
        ),
        "creative": (
            "写一篇短篇小说，讲一个能听见别人心声的快递员。",
            "写一首关于故乡秋天的现代诗。",
            "你醒来发现自己回到了唐朝长安城，身上只有一部手机。",
            "写一个关于猫和老鼠成为朋友的童话故事。",
            "以“那天雨下得很大”为开头，写一个悬疑故事。",
        ),
        "data_analysis": (
            "分析过去四个季度各地区的销售额趋势。",
            "哪个客服团队的平均响应时间最长？",
            "这份用户数据里，年龄和消费金额之间有没有相关性？",
            "画一个按月份统计的用户留存率图表，并解释变化原因。",
            "比较不同渠道的获客成本和转化率。",
        ),
        "research": (
            "二甲双胍能降低糖尿病患者的癌症风险吗？请提供研究证据。",
            "分析中国新能源汽车市场的竞争格局和主要厂商。",
            "写一篇关于人工智能在医学影像中应用的文献综述，附参考文献。",
            "长期服用阿司匹林是否能减少老年人的心血管事件？",
            "调研东南亚跨境电商市场的规模和进入策略。",
        ),
        "image_video": (
            "一只熊猫在竹林里吃竹子，高清摄影，柔和光线",
            "水墨画风格的江南水乡，小桥流水",
            "赛博朋克风格的上海夜景，霓虹灯，下雨",
            "一段无人机航拍桂林山水的视频，电影感",
            "穿汉服的女孩站在樱花树下，动漫风格",
        ),
        "general": (
            "北京到上海坐高铁要多久？",
            "怎么才能改掉熬夜的习惯？",
            "推荐几道适合新手做的家常菜。",
            "中国有多少个省份？",
            "我和朋友吵架了，应该怎么和好？",
        ),
    },
    "ja": {
        "code": (
            "Pythonでリストを逆順にする関数を書いてください。",
            "このJavaScriptのコードでエラーが出ます。原因を教えてください：const x; x = 5;",
            "SQLで部署ごとの平均給与を求めるクエリを書いて。",
            "Rustの所有権について、簡単なコード例で説明してください。",
            "このシェルスクリプトが動かない理由を教えて：for f in *.txt do echo $f done",
        ),
        "creative": (
            "雪の降る夜に出会った二人の短編小説を書いてください。",
            "桜をテーマにした俳句を五つ作って。",
            "ある朝目覚めると、町中の人が猫になっていた。",
            "魔法が使えなくなった魔法使いの物語を書いてください。",
            "海辺の小さな喫茶店を舞台にした恋愛小説の冒頭を書いて。",
        ),
        "data_analysis": (
            "過去6か月の店舗別売上の推移を分析してください。",
            "どのサポートチームが問い合わせの解決に一番時間がかかっていますか？",
            "アンケート結果から年代別の満足度を集計してグラフにして。",
            "広告費と売上の相関を調べて、回帰分析の結果を教えてください。",
            "月別の解約率の変化とその要因を分析して。",
        ),
        "research": (
            "運動療法は高齢者の認知症の進行を遅らせますか？研究のエビデンスを教えてください。",
            "日本の電気自動車市場の競争環境を分析してください。",
            "睡眠不足と肥満の関係についての文献レビューを書いて、出典を付けてください。",
            "ビタミンCの大量摂取は風邪の予防に効果があるという科学的根拠はありますか？",
            "東南アジアにおける日本食レストランの市場規模と参入戦略を調査して。",
        ),
        "image_video": (
            "富士山と桜、朝焼け、高画質の風景写真",
            "ジブリ風の田舎の駅、夏の夕方、アニメ調",
            "東京の夜の街を歩く女性、ネオン、映画のワンシーン",
            "錦鯉が泳ぐ池をゆっくり撮影した動画",
            "浮世絵スタイルの巨大な波とサーファー",
        ),
        "general": (
            "東京から大阪まで新幹線で何時間かかりますか？",
            "おすすめの朝ごはんを教えて。",
            "上司へのお礼のメールの書き方を教えてください。",
            "日本で一番高い山は何ですか？",
            "ストレスを減らすにはどうしたらいいですか？",
        ),
    },
    "ru": {
        "code": (
            "Напиши функцию на Python, которая сортирует словарь по значениям.",
            "Почему мой код на C# выбрасывает исключение при чтении файла? Помоги исправить.",
            "Как написать SQL-запрос, который находит клиентов без заказов за последний год?",
            "Объясни, что делает этот Dockerfile, и как его ускорить.",
            "Напиши unit-тесты для этой функции на Java.",
        ),
        "creative": (
            "Напиши рассказ о старом смотрителе маяка, который получает письмо из прошлого.",
            "Стихотворение о зимнем Петербурге, с рифмой.",
            "Ты просыпаешься и понимаешь, что все люди на Земле исчезли, кроме тебя и твоего соседа.",
            "Напиши сказку про кота, который мечтал стать капитаном корабля.",
            "Придумай сюжет фантастического романа о колонии на Марсе.",
        ),
        "data_analysis": (
            "Проанализируй динамику выручки по регионам за последние восемь кварталов.",
            "Какой отдел дольше всех закрывает заявки?",
            "Построй график оттока клиентов по месяцам и объясни тренд.",
            "Есть ли статистически значимая разница в среднем чеке между городами?",
            "Сегментируй пользователей по активности и сравни их конверсию.",
        ),
        "research": (
            "Снижает ли приём омега-3 риск инфаркта у пациентов с ишемической болезнью сердца?",
            "Проведи анализ рынка доставки еды в России: объём, игроки, тенденции.",
            "Сделай обзор научной литературы о влиянии экранного времени на развитие детей, со ссылками.",
            "Какие есть доказательства эффективности когнитивно-поведенческой терапии при бессоннице?",
            "Изучи конкурентную среду на рынке онлайн-образования в Казахстане.",
        ),
        "image_video": (
            "Зимний лес на рассвете, иней на ветках, реалистичное фото",
            "Храм Василия Блаженного в стиле акварели",
            "Видео: волк бежит по снежному полю, замедленная съёмка",
            "Космический корабль над красной планетой, концепт-арт",
            "Портрет девушки в стиле Ван Гога",
        ),
        "general": (
            "Сколько лететь из Москвы во Владивосток?",
            "Как правильно заварить чай?",
            "Помоги придумать поздравление коллеге с днём рождения.",
            "Какая самая длинная река в Европе?",
            "Как научиться вставать рано утром?",
        ),
    },
}

#: More ``train``-pool prompts (2026-12-07 b), ours too: data tasks phrased around a table,
#: a file, columns or a metric, research questions, and two more prompts per language for
#: the other four locks, in the same eight languages. They go
#: to the train pool only, so the dev pool (``PROMPTS[...][DEV_FROM:]``) is unchanged.
EXTRA_TRAIN: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "general": (
            "¿Qué hago si mi casero no me devuelve la fianza?",
            "¿Cuántas horas hay que dormir al día para estar descansado?",
        ),
        "image_video": (
            "Un zorro rojo en un campo nevado al amanecer, estilo fotografía de naturaleza",
            "Plano cenital de una playa de arena negra con olas, luz suave",
        ),
        "creative": (
            "En un mundo donde los sueños se venden en el mercado, una niña encuentra uno que nadie quiere comprar.",
            "Escribe un microrrelato sobre el último tren de la noche.",
        ),
        "code": (
            "Crea una función en JavaScript que valide un número de teléfono.",
            "¿Cómo leo un archivo JSON en Python y recorro sus claves?",
        ),
        "data_analysis": (
            "En este archivo de Excel tengo las ventas diarias por tienda. Calcula la media semanal y dime qué tienda crece más.",
            "¿Cuál es la mediana del salario por departamento en la tabla de empleados?",
            "Con los datos de la encuesta, ¿hay diferencia significativa en la satisfacción entre hombres y mujeres?",
            "Agrupa los pedidos por mes y muéstrame el total facturado en un gráfico de barras.",
        ),
        "research": (
            "¿Qué dicen los estudios recientes sobre el efecto del ayuno intermitente en la diabetes tipo 2?",
            "Investiga quiénes son los principales competidores en el mercado de seguros para mascotas en Europa.",
        ),
    },
    "fr": {
        "general": (
            "Quelle est la meilleure façon d'apprendre l'espagnol rapidement ?",
            "Mon voisin fait du bruit tous les soirs, comment lui en parler ?",
        ),
        "image_video": (
            "Un phare breton sous la tempête, vagues immenses, photo dramatique",
            "Portrait d'un chat en costume de marin, peinture à l'huile",
        ),
        "creative": (
            "Tu te réveilles et tous les habitants de ta ville ont disparu, sauf ton voisin qui ne parle qu'en chantant.",
            "Écris un poème sur une gare abandonnée.",
        ),
        "code": (
            "Écris une requête SQL qui compte les commandes par client.",
            "Comment inverser une liste en JavaScript sans modifier l'originale ?",
        ),
        "data_analysis": (
            "Dans ce fichier CSV, calcule le panier moyen par client et par mois.",
            "Quelle est la corrélation entre le temps passé sur le site et le montant des achats dans nos données ?",
            "Regroupe les incidents par catégorie et affiche leur nombre dans un histogramme.",
            "À partir du tableau des notes, compare la moyenne des deux classes avec un test statistique.",
        ),
        "research": (
            "Quelles sont les preuves scientifiques sur l'efficacité de la vitamine D contre la dépression ?",
            "Fais une étude de marché sur les vélos cargo en France : taille, acteurs, tendances.",
        ),
    },
    "de": {
        "general": (
            "Wie lange dauert ein Flug von Berlin nach Lissabon?",
            "Wie kann ich mich besser auf ein Vorstellungsgespräch vorbereiten?",
        ),
        "image_video": (
            "Ein Bergsee in den Alpen bei Sonnenaufgang, Nebel, fotorealistisch",
            "Zeitraffer-Video einer Großstadt bei Nacht, Lichtspuren der Autos",
        ),
        "creative": (
            "Du wachst auf und stellst fest, dass du die Gedanken deiner Katze hören kannst.",
            "Schreibe eine kurze Geschichte über einen Leuchtturmwärter und einen Sturm.",
        ),
        "code": (
            "Schreibe eine Python-Funktion, die prüft, ob ein Jahr ein Schaltjahr ist.",
            "Warum bekomme ich in meinem Java-Programm eine NullPointerException?",
        ),
        "data_analysis": (
            "Berechne aus der Tabelle den durchschnittlichen Bestellwert pro Kundengruppe.",
            "Gibt es in den Umfragedaten einen signifikanten Zusammenhang zwischen Alter und Zufriedenheit?",
            "Gruppiere die Verkaufsdaten nach Filiale und zeig mir die Top 5 nach Umsatz.",
            "Wie viele Zeilen in der CSV-Datei haben fehlende Werte in der Spalte Preis?",
        ),
        "research": (
            "Was sagt die aktuelle Forschung über den Einfluss von Schlafmangel auf das Gedächtnis?",
            "Analysiere den Markt für Wärmepumpen in Deutschland: Größe, Wachstum und wichtigste Anbieter.",
        ),
    },
    "pt": {
        "general": (
            "Qual é a melhor época para visitar o Rio de Janeiro?",
            "Como peço um aumento ao meu chefe?",
        ),
        "image_video": (
            "Um barco colorido numa praia do Nordeste ao pôr do sol, foto realista",
            "Ilustração em aquarela de uma rua de Lisboa com bondinho amarelo",
        ),
        "creative": (
            "Num mundo onde ninguém pode mentir, um vendedor de carros precisa fechar o negócio do século.",
            "Escreva um poema sobre a saudade do mar.",
        ),
        "code": (
            "Escreva uma função em Python que conte as palavras de um texto.",
            "Como faço um loop em JavaScript que percorra um array de objetos?",
        ),
        "data_analysis": (
            "Na planilha de vendas, calcule o faturamento médio por vendedor em cada trimestre.",
            "Os dados mostram alguma relação entre o preço e a quantidade vendida?",
            "Agrupe os chamados por categoria e mostre o tempo médio de resolução em um gráfico.",
            "Quantos clientes na base de dados fizeram mais de três compras no último ano?",
        ),
        "research": (
            "O que a literatura científica diz sobre o uso de probióticos na síndrome do intestino irritável?",
            "Faça uma pesquisa de mercado sobre o setor de energia solar no Brasil, com os principais concorrentes.",
        ),
    },
    "it": {
        "general": (
            "Quanto costa in media un abbonamento ai mezzi a Milano?",
            "Come posso smettere di procrastinare?",
        ),
        "image_video": (
            "Una vespa rossa parcheggiata in un vicolo di Roma, luce del tramonto, fotografia",
            "Campi di lavanda in Toscana ripresi da un drone, stile cinematografico",
        ),
        "creative": (
            "Ti svegli in una Venezia dove l'acqua è diventata vetro.",
            "Scrivi una breve storia su un pasticciere che cucina ricordi.",
        ),
        "code": (
            "Scrivi una funzione in Python che calcoli il fattoriale di un numero.",
            "Come posso ordinare un array di oggetti per data in JavaScript?",
        ),
        "data_analysis": (
            "Dal file CSV degli ordini, calcola la media e la deviazione standard dei tempi di consegna.",
            "Nei dati del sondaggio, c'è una correlazione tra reddito e spesa per viaggi?",
            "Raggruppa le vendite per regione e mostra l'andamento mensile in un grafico.",
            "Qual è il valore mediano degli affitti nella tabella, per quartiere?",
        ),
        "research": (
            "Quali evidenze scientifiche esistono sull'effetto della dieta mediterranea sul rischio cardiovascolare?",
            "Analizza il mercato italiano del vino biologico: dimensioni, concorrenti e tendenze.",
        ),
    },
    "zh": {
        "general": (
            "感冒了应该多喝水还是多休息？",
            "怎么跟室友沟通卫生问题？",
        ),
        "image_video": (
            "一只熊猫坐在竹林里吃竹子，清晨的阳光，写实摄影风格",
            "赛博朋克风格的上海夜景，霓虹灯，雨后街道",
        ),
        "creative": (
            "你醒来发现全世界只有你还记得昨天发生的事。",
            "写一首关于秋天落叶的现代诗。",
        ),
        "code": (
            "写一个Python函数，判断一个字符串是不是回文。",
            "我的SQL查询报错了：SELECT name FROM users WHERE id = ，怎么改？",
        ),
        "data_analysis": (
            "根据这份销售表，计算每个门店每月的平均销售额。",
            "数据里收入和消费之间的相关系数是多少？是否显著？",
            "把订单数据按城市分组，统计每个城市的订单数量并画柱状图。",
            "这个CSV文件里有多少行的价格列是空的？",
        ),
        "research": (
            "关于二甲双胍对癌症风险影响的研究有哪些结论？请列出主要文献。",
            "调研中国新能源汽车充电桩市场的规模和主要竞争者。",
        ),
    },
    "ja": {
        "general": (
            "引っ越しの前にやっておくべきことは何ですか？",
            "上司に休みを取りたいとどう伝えればいいですか？",
        ),
        "image_video": (
            "桜並木の下を歩く着物の女性、柔らかい光、写真風",
            "富士山と湖に映る朝焼け、ドローン映像、4K",
        ),
        "creative": (
            "目が覚めると、町中の人があなたのことを王様だと思い込んでいた。",
            "雨の日の図書館を舞台にした短い物語を書いて。",
        ),
        "code": (
            "Pythonでリストの重複を削除する関数を書いてください。",
            "JavaScriptで配列を日付順に並べ替える方法を教えて。",
        ),
        "data_analysis": (
            "この売上データから、店舗ごとの月平均売上を計算してください。",
            "アンケートのデータで、年齢と満足度に有意な相関はありますか？",
            "注文データを地域別に集計して、棒グラフで見せてください。",
            "CSVファイルの価格の列に欠損値がある行はいくつありますか？",
        ),
        "research": (
            "睡眠不足と認知機能低下の関係について、最新の研究結果をまとめてください。",
            "日本の電動自転車市場の規模と主要メーカーを調査してください。",
        ),
    },
    "ru": {
        "general": (
            "Сколько стоит виза в Японию?",
            "Как поговорить с соседом, который шумит по ночам?",
        ),
        "image_video": (
            "Заснеженная деревня в тайге ночью, северное сияние, реалистичное фото",
            "Видео: волны разбиваются о скалы на закате, замедленная съёмка",
        ),
        "creative": (
            "Ты просыпаешься, а все зеркала в доме показывают другую жизнь.",
            "Напиши короткий рассказ о старом почтальоне в маленькой деревне.",
        ),
        "code": (
            "Напиши функцию на Python, которая проверяет, является ли число простым.",
            "Почему мой цикл на JavaScript выводит undefined?",
        ),
        "data_analysis": (
            "По таблице продаж посчитай средний чек по каждому магазину за месяц.",
            "Есть ли в данных опроса значимая связь между возрастом и удовлетворённостью?",
            "Сгруппируй заказы по городам и покажи их количество на столбчатой диаграмме.",
            "Сколько строк в CSV-файле с пустым значением в столбце «цена»?",
        ),
        "research": (
            "Что говорят научные исследования о влиянии физической активности на депрессию?",
            "Проведи исследование рынка доставки продуктов в России: объём, игроки, тренды.",
        ),
    },
}

#: Chinese ``train``-pool prompts (2026-12-07 d, eighth session), ours: ten per lock. Tried as
#: a user, the shipped model sent Chinese research and data requests to ``image_video``
#: (the English encoder reads Chinese as a few known characters; the lexical half, which had
#: seven Chinese prompts per lock to learn from, alone got our seven tries right). Longer
#: research and analysis requests than the prompts above, the register of deep-research tasks.
#: Train pool only; the dev pool is unchanged.
EXTRA_TRAIN_ZH: dict[str, tuple[str, ...]] = {
    "research": (
        "请系统调研全球锂电池回收行业的发展现状、主要技术路线和政策环境，并撰写一份研究报告。",
        "综述近十年关于睡眠不足与阿尔茨海默病风险之间关系的研究证据。",
        "请分析人工智能大模型对中国制造业就业结构的影响，引用权威数据和文献。",
        "调查欧盟碳边境调节机制对中国出口企业的影响，并提出应对建议。",
        "针对中国老龄化趋势，研究养老服务市场的规模、竞争格局和发展机会。",
        "有哪些研究证明地中海饮食能够降低心血管疾病的发病率？请列出关键论文。",
        "比较中美两国在半导体产业政策上的差异，并评估其长期效果。",
        "请撰写一份关于量子计算商业化进展的深度研究报告，包括主要企业和技术瓶颈。",
        "梳理新冠疫情后全球供应链重构的主要趋势，并分析对东南亚国家的影响。",
        "目前关于微塑料对人体健康影响的科学证据有哪些？还存在哪些争议？",
    ),
    "data_analysis": (
        "这是我们公司去年的用户留存数据，请按月份计算留存率并找出下降最明显的时期。",
        "用附件中的CSV文件，分析不同年龄段用户的消费金额分布，并画出箱线图。",
        "根据客服工单数据，统计各团队的平均处理时长，并分析变化趋势。",
        "对这份问卷数据做回归分析，看看收入对满意度的影响是否显著。",
        "请分析过去三年各产品线的毛利率变化，并找出拖累利润的主要因素。",
        "这组A/B测试数据中，新版本的转化率是否显著高于旧版本？",
        "帮我把销售数据按季度和地区做透视表，并计算同比增长率。",
        "识别这份交易记录中的异常值，并说明可能的原因。",
        "分析网站流量数据，找出跳出率最高的页面和访问来源。",
        "根据员工数据，计算各部门的离职率，并用图表展示。",
    ),
    "code": (
        "用JavaScript写一个防抖函数。",
        "这段Java代码报空指针异常，帮我找出原因并修复。",
        "写一个SQL查询，找出每个部门工资最高的员工。",
        "请解释一下这段Python代码中装饰器的作用。",
        "用Go实现一个简单的HTTP服务器，返回当前时间。",
        "帮我写一个正则表达式，匹配中国大陆的手机号码。",
        "如何用React实现一个可以拖拽排序的列表？给出代码。",
        "写一个Shell脚本，每天凌晨备份MySQL数据库。",
        "这个递归函数为什么会栈溢出？怎么改成迭代？",
        "给这段C++代码写单元测试。",
    ),
    "creative": (
        "写一个关于外卖小哥在雨夜救下一只小猫的短篇故事。",
        "以“最后一封信”为题，写一篇一千字左右的小说。",
        "写一首描写江南春雨的七言绝句。",
        "为一部科幻短片写一段两个人物的对白剧本。",
        "如果人类可以把记忆存进U盘，世界会变成什么样？写一个故事。",
        "写一段武侠小说的开头，主角是一个失忆的剑客。",
        "帮我写一首关于母亲的歌词，风格温暖一点。",
        "一个机器人第一次学会了哭。",
        "用童话的风格讲述一只想去看海的蜗牛。",
        "写一篇以第一人称视角描写高考前夜的散文。",
    ),
    "image_video": (
        "一座漂浮在云海之上的古代宫殿，黄昏，金色光线，超高清，电影质感",
        "水墨画风格的山水，远处有一叶小舟，留白",
        "一个穿汉服的女孩站在樱花树下，柔和光线，85mm镜头，浅景深",
        "生成一张赛博朋克风格的重庆夜景图片",
        "无人机航拍视频：清晨的梯田被雾气笼罩，镜头缓慢推进",
        "一只戴着宇航员头盔的柴犬，皮克斯动画风格，3D渲染",
        "复古胶片风格的北京胡同街景，自行车，傍晚",
        "画一张儿童绘本风格的插画：小熊在森林里采蘑菇",
        "极简主义海报，一轮红日和一只飞鸟，大面积留白",
        "生成一段10秒视频：海浪拍打礁石，慢动作，日落逆光",
    ),
    "general": (
        "周末去杭州玩两天，有什么推荐的路线？",
        "孩子不爱吃蔬菜怎么办？",
        "怎么写一封请假邮件给领导？",
        "失眠了有什么好办法？",
        "你好，最近怎么样？",
        "广州有什么值得推荐的早茶店？",
        "帮我想几个适合公司年会的游戏。",
        "信用卡逾期了会有什么后果？",
        "谢谢你的帮助！",
        "第一次见女朋友的父母应该带什么礼物？",
    ),
}

#: 2026-12-08 (ninth session): four more requests per language for a piece of creative
#: writing named by its form (fable, poem, fairy tale, scene, monologue, song), written after
#: the English premise registers of ``template_text_e`` were seen pulling the dev pool's
#: "write a fable / a scene / a fairy tale" requests in German, Spanish, Italian, French,
#: Portuguese, Russian and Japanese away from ``creative`` (7 of 96 dev rows). Our own
#: prompts, none of them a dev-pool prompt; train pool only.
EXTRA_TRAIN_CREATIVE: dict[str, tuple[str, ...]] = {
    "de": ("Schreib ein Märchen über eine Prinzessin, die lieber Schmiedin werden will.",
           "Verfasse ein kurzes Gedicht über den ersten Schnee in der Stadt.",
           "Schreib eine Szene, in der sich zwei alte Freunde nach zwanzig Jahren am Bahnhof "
           "wiedertreffen.",
           "Erfinde einen Monolog für einen Bösewicht, der sich für seine Taten rechtfertigt."),
    "es": ("Escribe un cuento infantil sobre una tortuga que quiere volar.",
           "Escribe un poema sobre el mar en invierno, con rima.",
           "Inventa una fábula con un lobo y un cordero que se hacen amigos.",
           "Escribe un monólogo de un faro que lleva cien años solo."),
    "fr": ("Écris une fable où un corbeau apprend à partager son fromage.",
           "Rédige un poème sur une gare la nuit.",
           "Écris une scène de théâtre entre une reine et son bouffon.",
           "Invente une histoire courte sur un facteur qui lit les lettres des autres."),
    "it": ("Scrivi una favola su una volpe che impara a dire la verità.",
           "Scrivi una poesia sull'estate in un paese di mare.",
           "Inventa un racconto breve su un orologiaio che ripara i ricordi.",
           "Scrivi la scena di un litigio tra due fratelli gemelli."),
    "pt": ("Escreva um conto de fadas sobre um dragão que tem medo do fogo.",
           "Escreva um poema sobre a saudade de casa.",
           "Crie um diálogo engraçado entre um gato e um aspirador de pó.",
           "Escreva uma fábula sobre uma formiga que decide tirar férias."),
    "ru": ("Напиши басню о вороне, которая научилась считать.",
           "Сочини стихотворение о первом снеге в деревне.",
           "Напиши сцену встречи двух старых друзей на вокзале.",
           "Придумай рассказ о мальчике, который нашёл дверь в другой мир."),
    "ja": ("海を見たことがない猫の童話を書いてください。",
           "春の雨についての短い詩を書いてください。",
           "二人の兄弟が十年ぶりに再会する場面を脚本にしてください。",
           "時間を止められる少女の短編小説を書いてください。"),
    "zh": ("写一篇关于一只想当厨师的小老鼠的童话。",
           "写一首关于秋天落叶的短诗。",
           "写一段两个老朋友在火车站重逢的对话。",
           "创作一个关于会说话的图书馆的短篇故事。"),
}

#: 2026-12-08 (ninth session): three more data-analysis and three more research requests per
#: language, and two everyday ones as their counterweight, after the multilingual dev pool
#: stayed weakest on those locks (data_analysis 6–9 and research 9–12 of 16 right across this
#: session's models). Our own prompts, none of them a dev-pool prompt; train pool only.
EXTRA_TRAIN_LOCKS: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "data_analysis": (
            "Zeig mir in den Verkaufszahlen, welche Produkte im Dezember am stärksten "
            "gewachsen sind.",
            "Berechne die durchschnittliche Bearbeitungszeit der Support-Tickets pro Team und "
            "vergleiche die Quartale.",
            "Mach eine Regressionsanalyse: Wie hängt der Umsatz von den Werbeausgaben ab?"),
        "research": (
            "Gibt es Studien dazu, ob Kurzarbeit langfristig Arbeitsplätze sichert?",
            "Recherchiere den aktuellen Wissensstand zu Long Covid bei Kindern, mit Quellen.",
            "Erstelle einen Bericht über den europäischen Markt für E-Bikes: Volumen, "
            "Wachstum, Hersteller."),
        "general": ("Was ist der Unterschied zwischen Grippe und Erkältung?",
                    "Kannst du mir ein gutes Rezept für Kartoffelsalat geben?"),
    },
    "es": {
        "data_analysis": (
            "Con estos datos de ventas, ¿qué tienda tuvo el mayor crecimiento interanual?",
            "Calcula la tasa de abandono mensual por plan y dime si hay estacionalidad.",
            "Haz un análisis de cohortes de los usuarios registrados en 2023."),
        "research": (
            "¿Qué evidencia científica hay sobre el ayuno intermitente y la pérdida de peso?",
            "Investiga el mercado de la energía solar residencial en México y sus principales "
            "empresas.",
            "Haz una revisión de la literatura sobre el teletrabajo y la productividad, con "
            "referencias."),
        "general": ("¿Cuál es la mejor época para visitar Andalucía?",
                    "¿Cómo quito una mancha de vino tinto de la alfombra?"),
    },
    "fr": {
        "data_analysis": (
            "Analyse ces données de trafic web et identifie les pages avec le plus fort taux "
            "de rebond.",
            "Fais un tableau croisé des ventes par région et par trimestre, puis commente.",
            "Y a-t-il une corrélation entre l'ancienneté des clients et leur panier moyen "
            "dans ce fichier ?"),
        "research": (
            "Quel est l'état des connaissances sur les effets du télétravail sur la santé "
            "mentale ?",
            "Analyse le marché des batteries pour véhicules électriques en Europe, avec "
            "sources.",
            "Les probiotiques réduisent-ils la durée des diarrhées chez l'enfant ? Résume "
            "les essais cliniques."),
        "general": ("Comment puis-je économiser sur mes factures d'électricité ?",
                    "Quel film me conseilles-tu pour une soirée en famille ?"),
    },
    "it": {
        "data_analysis": (
            "Analizza i dati di vendita e dimmi quali prodotti hanno il margine più alto.",
            "Calcula il tempo medio di consegna per corriere e mostra un grafico a barre.",
            "C'è una differenza significativa nel tasso di conversione tra le due versioni "
            "della pagina?"),
        "research": (
            "Quali studi esistono sull'efficacia della dieta mediterranea nella prevenzione "
            "del diabete?",
            "Fai una ricerca di mercato sul settore del caffè specialty in Italia.",
            "Riassumi lo stato della ricerca sulle batterie allo stato solido, con fonti."),
        "general": ("Quanto tempo ci vuole per cuocere la pasta al dente?",
                    "Mi consigli qualche posto da visitare a Napoli?"),
    },
    "pt": {
        "data_analysis": (
            "Analise a planilha de despesas e mostre as categorias que mais cresceram.",
            "Calcule a média e a mediana do tempo de resposta do suporte por mês.",
            "Existe correlação entre o preço e a avaliação dos produtos nestes dados?"),
        "research": (
            "O que dizem os estudos sobre o uso de telas e o sono de adolescentes?",
            "Faça uma análise do mercado de fintechs no Brasil, com os principais "
            "concorrentes.",
            "Revise a literatura sobre vacinas de mRNA e resposta imune em idosos."),
        "general": ("Qual é a melhor forma de aprender a nadar na idade adulta?",
                    "Que presente posso dar ao meu pai no aniversário?"),
    },
    "ru": {
        "data_analysis": (
            "Проанализируй данные о продажах и найди месяцы с аномально низкой выручкой.",
            "Посчитай средний чек по городам и построй диаграмму.",
            "Есть ли в этих данных связь между возрастом клиента и частотой покупок?"),
        "research": (
            "Какие научные данные есть о влиянии кофе на сердечно-сосудистую систему?",
            "Проведи исследование рынка электросамокатов в России: объём, игроки, тренды.",
            "Сделай обзор литературы о методах лечения депрессии у подростков."),
        "general": ("Как быстро уснуть, если не спится?",
                    "Что посмотреть в Санкт-Петербурге за два дня?"),
    },
    "ja": {
        "data_analysis": (
            "この売上データから、前年比で最も伸びた商品カテゴリを教えてください。",
            "問い合わせ件数を曜日別に集計して、傾向を分析してください。",
            "顧客の年齢と購入金額に相関があるか、このデータで調べてください。"),
        "research": (
            "睡眠不足と認知機能の関係について、最新の研究をまとめてください。",
            "日本の電気自動車市場について、市場規模と主要メーカーを調査してください。",
            "高齢者の運動習慣と転倒リスクに関する文献レビューを作成してください。"),
        "general": ("京都で紅葉が一番きれいな時期はいつですか？",
                    "風邪をひいたときに食べるといいものは何ですか？"),
    },
    "zh": {
        "data_analysis": (
            "分析这份销售数据，找出增长最快的三个产品类别。",
            "统计每个月的客户流失率，并画出趋势图。",
            "这些数据中，广告投入和销售额之间有没有显著的相关性？"),
        "research": (
            "关于间歇性禁食对减肥效果的研究证据有哪些？",
            "调研中国新能源汽车电池市场的规模和主要企业。",
            "请撰写一篇关于远程办公对员工心理健康影响的文献综述。"),
        "general": ("周末在北京有什么好玩的地方？",
                    "怎么做一碗好吃的番茄鸡蛋面？"),
    },
}
